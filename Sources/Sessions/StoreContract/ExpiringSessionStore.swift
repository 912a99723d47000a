/// A store that can delete its expired sessions in batches: what ``SessionExpirySweeper`` drives.
public protocol ExpiringSessionStore: SessionStore {
    /// Deletes at most `limit` expired sessions and returns how many it deleted.
    func deleteExpired(limit: Int) async throws -> Int
}
