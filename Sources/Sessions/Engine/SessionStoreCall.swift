/// One call a commit asks of its store, as data: the engine makes it with `await` or, for an
/// ``ImmediateSessionStore``, on the calling thread.
enum SessionStoreCall: Sendable {
    case save(SessionState, ttl: Duration)
    case update(SessionKey, to: SessionState, changes: SessionChangeSet, ttl: Duration)
    case updateTTL(SessionKey, ttl: Duration)
    case delete(SessionKey)
    case renew(SessionKey, as: SessionKey, to: SessionState, changes: SessionChangeSet, ttl: Duration, tombstoneTTL: Duration)
    case purge(SessionKey, tombstoneTTL: Duration)
    case hasTombstone(SessionKey)
}

extension SessionStoreCall {
    /// Whether a failed call is asked again with the same arguments: a renew then answers the move it may
    /// already have made (the engine drew its new key), when the store says it can
    /// (``SessionStore/renewIsSafeToAskAgain``); a purge ends what it may already have ended. Other calls
    /// are not: a save would make a second session, and a clearing update could undo a concurrent request's
    /// write that landed in between.
    func isAskedAgainAfterFailure(by store: any SessionStore) -> Bool {
        switch self {
        case .renew: store.renewIsSafeToAskAgain
        case .purge: true
        case .save, .update, .updateTTL, .delete, .hasTombstone: false
        }
    }

    /// The call's name, for logs.
    var name: String {
        switch self {
        case .save: "save"
        case .update: "update"
        case .updateTTL: "updateTTL"
        case .delete: "delete"
        case .renew: "renew"
        case .purge: "purge"
        case .hasTombstone: "hasTombstone"
        }
    }
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
        case .renew(let key, let newKey, let state, let changes, let ttl, let tombstoneTTL):
            return .updated(try await renew(key, as: newKey, to: state, changes: changes, ttl: ttl, tombstoneTTL: tombstoneTTL))
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
        case .renew(let key, let newKey, let state, let changes, let ttl, let tombstoneTTL):
            return .updated(try renewImmediately(key, as: newKey, to: state, changes: changes, ttl: ttl, tombstoneTTL: tombstoneTTL))
        case .purge(let key, let tombstoneTTL):
            try purgeImmediately(key, tombstoneTTL: tombstoneTTL)
            return .deleted
        case .hasTombstone(let key):
            return .tombstone(try hasTombstoneImmediately(key))
        }
    }
}
