import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// All session semantics, once, for every framework and every store.
///
/// An adapter calls ``begin(cookieHeader:logger:)`` with the request's `Cookie` header, hands the
/// ``HTTPSession`` to the handler, then tells ``end(_:after:logger:)`` how the handler ended and maps its
/// answer onto the response (see the article "Writing an adapter"). The engine verifies cookies lazily,
/// decides which store call ends the request (save, update, update the TTL, renew, purge, or nothing) and
/// which cookies to send.
///
/// ```swift
/// let engine = try SessionEngine(
///     store: MemorySessionStore(),
///     secrets: SessionSecrets(current: try SessionSecret(derivingFrom: secretBytes)),
///     configuration: SessionConfiguration()
/// )
/// let session = engine.begin(cookieHeader: cookieHeader, logger: logger)
/// // ... the handler runs ...
/// switch await engine.end(session, after: .answered(status: 200), logger: logger) {
/// case .respond(let headers): ...   // add them to the response
/// case .replace(let status, let headers): ...  // an empty response with this status and headers instead
/// case .rethrow: ...                // the handler's error, passed on
/// }
/// ```
public struct SessionEngine: Sendable {
    /// Browsers ignore cookies whose name and value together exceed this many bytes.
    public static var maximumCookieSize: Int { SessionEngineCore.maximumCookieSize }

    let core: SessionEngineCore

    /// The store sessions live in.
    ///
    /// Held as an existential, so that neither the engine nor the middlewares built on it have a store type
    /// parameter: which store an app runs is a choice made at startup, often from configuration.
    public var store: any SessionStore { core.store }
    /// The validated configuration.
    public var configuration: SessionConfiguration { core.configuration }
    var codec: SessionCookieCodec { core.codec }
    var clock: any SessionClock { core.clock }

    /// Validates `configuration` and builds the engine.
    /// - Throws: ``SessionConfigurationError`` for a configuration browsers would reject.
    public init(
        store: some SessionStore,
        secrets: SessionSecrets,
        configuration: SessionConfiguration = .init(),
        clock: any SessionClock = SystemSessionClock()
    ) throws(SessionConfigurationError) {
        try configuration.validate()
        self.init(store: store, secrets: secrets, validatedConfiguration: configuration, clock: clock)
    }

    /// An engine with the default configuration, which is valid by construction (`BoundedByDefaultTests`
    /// checks it), so the adapters' one-call initializers need no `try`.
    package static func withDefaultConfiguration(store: some SessionStore, secrets: SessionSecrets) -> SessionEngine {
        assert((try? SessionConfiguration().validate()) != nil, "the default configuration is valid")
        return SessionEngine(store: store, secrets: secrets, validatedConfiguration: SessionConfiguration(), clock: SystemSessionClock())
    }

    private init(
        store: some SessionStore,
        secrets: SessionSecrets,
        validatedConfiguration configuration: SessionConfiguration,
        clock: any SessionClock
    ) {
        core = SessionEngineCore(
            store: store,
            configuration: configuration,
            codec: SessionCookieCodec(security: configuration.security, secrets: secrets, cookieName: configuration.cookie.name),
            clock: clock,
            setCookie: SetCookie(configuration: configuration.cookie)
        )
    }

    /// `SessionEngineCore.openCookie(_:)`, for the benchmarks of the cache of opened values.
    package func openCookie(_ value: Substring) -> SessionCookieCodec.Opened? {
        core.openCookie(value)
    }

    /// Starts a request's session. Costs nothing: the cookie is read on the session's first use.
    public func begin(cookieHeader: String?, logger: Logger) -> HTTPSession {
        HTTPSession(core: core, cookieHeader: cookieHeader, logger: logger)
    }

    /// Ends a request's session: makes the store call its changes need and returns the headers to add.
    /// A store that never waits (memory, cookie) is called on the calling thread.
    ///
    /// A login the request asked for (``HTTPSession/logIn(userID:userType:carryingOver:)``) is carried out
    /// as for a handler that answered below 400; ``end(_:after:logger:)`` decides from the handler's answer.
    ///
    /// - Throws: ``SessionError`` with kind ``SessionError/Kind/commitFailed`` when the store fails;
    ///   the cause is logged at error level. Answer with an empty HTTP 500.
    public func commit(_ session: HTTPSession, logger: Logger) async throws(SessionError) -> SessionResponseHeaders {
        // The two steps written out rather than a call of the one below: one more async frame cost a login
        // one more malloc (scripts/malloc-guard).
        if let headers = try endImmediately(session, mode: .commit, loginAccepted: true, logger: logger) { return headers }
        return try await endAwaiting(session, mode: .commit, loginAccepted: true, logger: logger)
    }

    /// ``commit(_:logger:)``, with the login table told whether the handler answered below 400.
    func commit(_ session: HTTPSession, loginAccepted: Bool, logger: Logger) async throws(SessionError) -> SessionResponseHeaders {
        // The calling-thread path first, outside any async frame: an untouched session or a store that never
        // waits costs no task allocation (a commit's state in this frame outgrew the task allocator's first
        // slab: one malloc a request, which scripts/malloc-guard caught).
        if let headers = try endImmediately(session, mode: .commit, loginAccepted: loginAccepted, logger: logger) { return headers }
        return try await endAwaiting(session, mode: .commit, loginAccepted: loginAccepted, logger: logger)
    }

    /// ``commit(_:logger:)`` on the calling thread, when the store never waits (`ImmediateSessionStore`:
    /// memory, cookie); `nil` when it would have to, and nothing was done: call ``commit(_:logger:)``.
    /// `endImmediately(_:after:logger:)`, which the Vapor adapter uses, is built on it.
    /// - Throws: as ``commit(_:logger:)``.
    package func commitImmediately(_ session: HTTPSession, loginAccepted: Bool = true, logger: Logger) throws(SessionError) -> SessionResponseHeaders?
    {
        try endImmediately(session, mode: .commit, loginAccepted: loginAccepted, logger: logger)
    }

    /// Ends the session of a request whose handler failed: carries out a ``HTTPSession/purge()``, and a renew's
    /// end of its old key, which a failure after them must not undo (a logout that silently did not happen
    /// would fail open), and drops every other change. Returns the headers of a purge (its removal cookie,
    /// which a cookie store's session needs to end); ``end(_:after:logger:)`` sends them on an empty 500.
    ///
    /// ```swift
    /// do {
    ///     response = try await next(request, context)
    /// } catch {
    ///     let headers = await engine.abandon(session, logger: logger)
    ///     guard headers.isEmpty else { return Response(status: 500).adding(headers) }  // a logout: its cookie
    ///     throw error
    /// }
    /// ```
    ///
    /// ``end(_:after:logger:)`` does this for an adapter.
    ///
    /// A store failure here is logged at error level and otherwise ignored: the handler's error is the
    /// answer.
    @discardableResult
    public func abandon(_ session: HTTPSession, logger: Logger) async -> SessionResponseHeaders {
        if let headers = abandonImmediately(session, logger: logger) { return headers }
        return (try? await endAwaiting(session, mode: .abandon, loginAccepted: false, logger: logger)) ?? SessionResponseHeaders()
    }

    /// ``abandon(_:logger:)`` on the calling thread when the store never waits; `nil` when it would have
    /// to, and nothing was done: call ``abandon(_:logger:)``.
    package func abandonImmediately(_ session: HTTPSession, logger: Logger) -> SessionResponseHeaders? {
        do {
            return try endImmediately(session, mode: .abandon, loginAccepted: false, logger: logger)
        } catch {
            // Tried and failed (logged): trying again through the awaited path would not help.
            return SessionResponseHeaders()
        }
    }

    /// The commit through a store that waits; ``endImmediately(_:mode:logger:)`` has handled every other case.
    private func endAwaiting(_ session: HTTPSession, mode: SessionCommit.Mode, loginAccepted: Bool, logger: Logger) async throws(SessionError)
        -> SessionResponseHeaders
    {
        guard var contents = session.contentsForCommit() else { return SessionResponseHeaders() }
        contents.settleLogin(accepted: loginAccepted)
        var commit = SessionCommit(core: core, contents: contents, now: clock.now, logger: logger, mode: mode)
        do {
            var answer: SessionStoreAnswer?
            while let call = try commit.next(after: answer) {
                do {
                    answer = try await answerAskingAgain(call, since: commit.now, logger: logger)
                } catch {
                    answer = try Self.answerToFailedRestart(call, error: error, logger: logger)
                }
            }
        } catch {
            throw Self.commitFailure(error, logger: logger)
        }
        return commit.headers
    }

    /// The most times a renew or purge is asked, the first included.
    static var maximumAttemptsAfterFailure: Int { 3 }

    /// Makes `call`, asking again with the same arguments when a renew or purge failed: its outcome may be
    /// unknown (a timeout after the server ran it), and a renew that ran unseen would leave the browser a
    /// key whose tombstone drops its writes and the session under a key no cookie names. The store answers
    /// a repeated renew from the old key's tombstone, so the engine stops asking once that would have run
    /// out. A pause before each new ask (about 0.1 s, then 0.4 s) lets a connection pool that just lost its
    /// connection try again rather than fail all three asks at once.
    private func answerAskingAgain(_ call: SessionStoreCall, since start: Date, logger: Logger) async throws -> SessionStoreAnswer {
        var attempt = 1
        while true {
            do {
                return try await core.store.answer(call)
            } catch {
                let pause = Self.pause(before: attempt + 1)
                guard attempt < Self.maximumAttemptsAfterFailure, call.isAskedAgainAfterFailure(by: core.store), !Self.isRefusal(error),
                    clock.now + pause < start + configuration.tombstoneLifetime
                else { throw error }
                // Cancelled while pausing: nobody waits for the answer any more, and the store's error stands.
                guard (try? await clock.sleep(for: pause)) != nil, !Task.isCancelled else { throw error }
                logger.warning("session \(call.name) failed; asking the store again", metadata: ["error": "\(error)"])
                attempt += 1
            }
        }
    }

    /// The pause before ask `attempt`: 0.1 s, then four times longer, each within ±50 %, so that servers that
    /// lost the same store do not ask again in step.
    private static func pause(before attempt: Int) -> Duration {
        let base = attempt <= 2 ? 100.0 : 400.0
        return .milliseconds(Int64(base * Double.random(in: 0.5...1.5)))
    }

    /// A state the store could not serialize: asking again would fail the same way.
    private static func isRefusal(_ error: any Error) -> Bool {
        (error as? UpdateError)?.kind == .serialization
    }

    /// The login table runs first, on a copy of the contents: this may run again through ``endAwaiting``.
    /// Never inlined: its copies of the contents, in the caller's async frame, outgrew the task allocator's
    /// first slab (one more malloc a request; scripts/malloc-guard).
    @inline(never)
    private func endImmediately(_ session: HTTPSession, mode: SessionCommit.Mode, loginAccepted: Bool, logger: Logger) throws(SessionError)
        -> SessionResponseHeaders?
    {
        guard var contents = session.contentsForCommit() else { return SessionResponseHeaders() }
        contents.settleLogin(accepted: loginAccepted)
        guard let immediateStore = core.immediateStore else { return nil }
        return try end(contents, on: immediateStore, mode: mode, logger: logger)
    }

    private func end(_ contents: HTTPSession.Contents, on immediateStore: any ImmediateSessionStore, mode: SessionCommit.Mode, logger: Logger)
        throws(SessionError) -> SessionResponseHeaders
    {
        var commit = SessionCommit(core: core, contents: contents, now: clock.now, logger: logger, mode: mode)
        do {
            var answer: SessionStoreAnswer?
            while let call = try commit.next(after: answer) {
                do {
                    answer = try immediateStore.answerImmediately(call)
                } catch {
                    answer = try Self.answerToFailedRestart(call, error: error, logger: logger)
                }
            }
        } catch {
            throw Self.commitFailure(error, logger: logger)
        }
        return commit.headers
    }

    /// A TTL restart of a session the request did not change is worth no failed answer: a store that still
    /// serves reads but refuses writes (full, a read-only replica) must not turn every read into a 500.
    /// Logged, and answered as if the session were gone, which sends nothing. Any other call's error stands.
    private static func answerToFailedRestart(_ call: SessionStoreCall, error: any Error, logger: Logger) throws -> SessionStoreAnswer {
        guard case .updateTTL = call else { throw error }
        logger.warning("session TTL restart failed; the request is answered without it", metadata: ["error": "\(error)"])
        return .updated(.gone)
    }

    /// A failed commit as handlers see it, its cause logged: a refused state is the request's fault.
    private static func commitFailure(_ error: any Error, logger: Logger) -> SessionError {
        let failure = SessionError(.commitFailed, underlying: error)
        if failure.isStateRefused {
            logger.warning("session state refused by the store", metadata: ["error": "\(error)"])
        } else {
            logger.error("session commit failed", metadata: ["error": "\(error)"])
        }
        return failure
    }
}
