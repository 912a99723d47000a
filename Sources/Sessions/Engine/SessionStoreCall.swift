/// One call a commit asks of its store, as data: the engine makes it with `await` or, for an
/// ``ImmediateSessionStore``, on the calling thread.
enum SessionStoreCall: Sendable {
    case save(SessionState, ttl: Duration)
    case update(SessionKey, to: SessionState, changes: SessionChangeSet, ttl: Duration)
    case updateTTL(SessionKey, ttl: Duration)
    case delete(SessionKey)
    case renew(SessionKey, to: SessionState, changes: SessionChangeSet, ttl: Duration, tombstoneTTL: Duration)
    case purge(SessionKey, tombstoneTTL: Duration)
    case hasTombstone(SessionKey)
}

/// A store's answer to a ``SessionStoreCall``.
enum SessionStoreAnswer: Sendable {
    case saved(SessionKey)
    /// What an update, a TTL update or a renew did.
    case updated(SessionUpdateResult)
    case deleted
    case tombstone(Bool)
}

extension SessionStore {
    /// Makes `call`; the store's own typed error comes through as it is.
    func answer(_ call: SessionStoreCall) async throws -> SessionStoreAnswer {
        switch call {
        case .save(let state, let ttl):
            return .saved(try await save(state, ttl: ttl))
        case .update(let key, let state, let changes, let ttl):
            return .updated(try await update(key, to: state, changes: changes, ttl: ttl))
        case .updateTTL(let key, let ttl):
            return .updated(try await updateTTL(key, ttl: ttl))
        case .delete(let key):
            try await delete(key)
            return .deleted
        case .renew(let key, let state, let changes, let ttl, let tombstoneTTL):
            return .updated(try await renew(key, to: state, changes: changes, ttl: ttl, tombstoneTTL: tombstoneTTL))
        case .purge(let key, let tombstoneTTL):
            try await purge(key, tombstoneTTL: tombstoneTTL)
            return .deleted
        case .hasTombstone(let key):
            return .tombstone(try await hasTombstone(key))
        }
    }
}

extension ImmediateSessionStore {
    /// Makes `call` on the calling thread; the store's own typed error comes through as it is.
    func answerImmediately(_ call: SessionStoreCall) throws -> SessionStoreAnswer {
        switch call {
        case .save(let state, let ttl):
            return .saved(try saveImmediately(state, ttl: ttl))
        case .update(let key, let state, let changes, let ttl):
            return .updated(try updateImmediately(key, to: state, changes: changes, ttl: ttl))
        case .updateTTL(let key, let ttl):
            return .updated(try updateTTLImmediately(key, ttl: ttl))
        case .delete(let key):
            try deleteImmediately(key)
            return .deleted
        case .renew(let key, let state, let changes, let ttl, let tombstoneTTL):
            return .updated(try renewImmediately(key, to: state, changes: changes, ttl: ttl, tombstoneTTL: tombstoneTTL))
        case .purge(let key, let tombstoneTTL):
            try purgeImmediately(key, tombstoneTTL: tombstoneTTL)
            return .deleted
        case .hasTombstone(let key):
            return .tombstone(try hasTombstoneImmediately(key))
        }
    }
}
