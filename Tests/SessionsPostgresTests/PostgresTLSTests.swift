import FoundationEssentials
import Logging
import PostgresNIO
import Sessions
import SessionsPostgres
import TestSupport
import Testing

/// The URL's TLS modes against the shared test server, which accepts TLS with a certificate of the run's
/// throwaway CA (for 127.0.0.1 and localhost).
@Suite(.tags(.postgres)) struct PostgresTLSTests {
    /// The shared server's URL with `host`, `sslmode` and, if given, `sslrootcert`.
    static func url(host: String = "localhost", mode: String, rootCertificate: String? = nil) throws -> String {
        let base = try #require(URLComponents(string: try TestServices.environment("SESSIONS_TEST_POSTGRES_URL")))
        var url = "postgres://postgres@\(host):\(try #require(base.port))/postgres?sslmode=\(mode)"
        if let rootCertificate { url += "&sslrootcert=\(rootCertificate)" }
        return url
    }

    static var certificateAuthority: String {
        get throws { try TestServices.environment("SESSIONS_TEST_POSTGRES_TLS_CA") }
    }

    /// Runs `body` with a store on a client for `url`.
    static func withStore(
        url: String, queryTimeout: Duration = TestPostgres.patientTimeout, _ body: (PostgresClient, PostgresSessionStore) async throws -> Void
    )
        async throws
    {
        var logger = Logger(label: "test-postgres-tls")
        logger.logLevel = .critical
        let client = PostgresClient(configuration: try PostgresClient.Configuration(url: url), backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let store = try PostgresSessionStore(
                client: client, configuration: .init(tableName: TestPostgres.uniqueTable(), queryTimeout: queryTimeout))
            try await body(client, store)
        }
    }

    static func usesTLS(_ client: PostgresClient) async throws -> Bool {
        var ssl = false
        for try await value in try await client.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").decode(Bool.self) { ssl = value }
        return ssl
    }

    @Test(arguments: ["verify-full", "require", "prefer"])
    func aPrivateCertificateAuthorityIsTrustedThroughSSLRootCert(mode: String) async throws {
        try await Self.withStore(url: try Self.url(mode: mode, rootCertificate: try Self.certificateAuthority)) { client, store async throws in
            let key = try await store.save(SessionState(["over": "tls"], createdAt: Date()), ttl: .seconds(60))
            #expect(try await store.load(key)?["over"] == "tls")
            #expect(try await Self.usesTLS(client), "\(mode) speaks TLS to a server that offers it")
        }
    }

    @Test func verifyCAChecksTheChainButNotTheHostName() async throws {
        try await Self.withStore(url: try Self.url(host: "127.0.0.1", mode: "verify-ca", rootCertificate: try Self.certificateAuthority)) {
            client, store async throws in
            let key = try await store.save(SessionState(["over": "tls"], createdAt: Date()), ttl: .seconds(60))
            #expect(try await store.load(key) != nil)
            #expect(try await Self.usesTLS(client))
        }
    }

    /// 127.0.0.2 reaches the same server, whose certificate names only 127.0.0.1 and localhost: verify-full
    /// refuses it (the host name does not match), verify-ca accepts it (it checks the chain alone).
    @Test func verifyFullRefusesACertificateForAnotherHostAndVerifyCAAcceptsIt() async throws {
        let certificateAuthority = try Self.certificateAuthority
        try await Self.withStore(
            url: try Self.url(host: "127.0.0.2", mode: "verify-full", rootCertificate: certificateAuthority), queryTimeout: .seconds(5)
        ) {
            _, store async throws in
            await #expect(throws: SaveError.self) { try await store.save(SessionState(["a": 1], createdAt: Date()), ttl: .seconds(60)) }
        }
        try await Self.withStore(url: try Self.url(host: "127.0.0.2", mode: "verify-ca", rootCertificate: certificateAuthority)) {
            client, store async throws in
            let key = try await store.save(SessionState(["over": "tls"], createdAt: Date()), ttl: .seconds(60))
            #expect(try await store.load(key) != nil)
            #expect(try await Self.usesTLS(client))
        }
    }

    /// Without the private CA the server's certificate is not trusted: every mode that verifies refuses it.
    @Test(arguments: ["verify-full", "verify-ca", "require"])
    func aCertificateNoTrustedAuthoritySignedIsRefused(mode: String) async throws {
        try await Self.withStore(url: try Self.url(mode: mode), queryTimeout: .seconds(5)) { _, store async throws in
            await #expect(throws: SaveError.self) { try await store.save(SessionState(["a": 1], createdAt: Date()), ttl: .seconds(60)) }
        }
    }

    @Test func disableSpeaksPlaintext() async throws {
        try await Self.withStore(url: try Self.url(mode: "disable")) { client, _ in
            let tls = try await Self.usesTLS(client)
            #expect(!tls)
        }
    }

    @Test func unknownModesAndMissingRootCertificatesAreRefusedAtStartup() throws {
        for (url, mentions) in [
            ("postgres://a@b/c?sslmode=allow", "sslmode 'allow'"),
            ("postgres://a@b/c?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem", "does not exist"),
        ] {
            let error = #expect(throws: SessionConfigurationError.self) { try PostgresClient.Configuration(url: url) }
            #expect(error?.message.contains(mentions) == true, "\(url)")
        }
    }
}
