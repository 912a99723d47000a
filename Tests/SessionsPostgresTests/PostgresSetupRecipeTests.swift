import PostgresNIO
import Sessions
import SessionsPostgres
import TestSupport
import Testing

/// The PostgreSQL setup of the article "Choosing a store", kept compiling: building the client and the
/// store opens no connection, so it runs with no server at that address.
@Suite(.tags(.postgres)) struct PostgresSetupRecipeTests {
    @Test("the article's PostgreSQL setup builds a store on a pool configured as the article says")
    func theSetupBuilds() throws {
        // README: Choosing a store, PostgreSQL
        var postgres = try PostgresClient.Configuration(url: "postgres://app@127.0.0.1:5432/app?sslmode=disable")
        postgres.options.minimumConnections = 0  // see "Pool configuration" on PostgresSessionStore
        postgres.options.maximumConnections = 8
        postgres.options.connectionIdleTimeout = .seconds(5)
        postgres.applySessionStoreSettings(queryTimeout: .seconds(3))  // read committed, server-side timeouts
        let client = PostgresClient(configuration: postgres)
        let store = try PostgresSessionStore(client: client, configuration: .init(queryTimeout: .seconds(3)))
        // README: end
        _ = store
        #expect(postgres.options.maximumConnections == 8 && postgres.options.minimumConnections == 0)
        #expect(postgres.options.additionalStartupParameters.contains { $0.0 == "statement_timeout" })
    }
}
