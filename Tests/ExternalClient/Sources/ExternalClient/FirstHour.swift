import Sessions

/// What README's quickstarts call, seen from outside the package: public, with no `package` symbol needed.
func countVisits(_ session: HTTPSession) async throws -> Int {
    try await session.update("visits", default: 0) { $0 += 1 }
}

func readSecrets(environment: [String: String]) throws -> SessionSecrets {
    let secrets = try SessionSecrets(environmentVariable: "SESSIONS_SECRET", encoding: .base64, environment: environment)
    _ = try SessionSecret(text: "", encoding: .hex, source: "a configuration key")
    return secrets
}

func boundedStore() -> MemorySessionStore {
    MemorySessionStore(configuration: .init(capacity: MemorySessionStore.Configuration.defaultCapacity / 2))
}
