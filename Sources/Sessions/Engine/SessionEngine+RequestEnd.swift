import Logging

/// The adapter policy, decided here once: what a request's end means for its session, whatever the
/// framework. An adapter reports how its handler ended and maps the answer onto its own response types.
extension SessionEngine {
    /// How a request's handler ended, as the adapter saw it.
    public enum HandlerOutcome: Sendable {
        /// The handler answered with a response of this status: returned, or thrown as an error the framework
        /// renders as a response of its own (Hummingbird's `HTTPResponseError`, Vapor's `AbortError`). The
        /// session commits and the headers go on that response. A login the request asked for is carried out
        /// only below 400 (see the article "Logging in and out"); below 400, a response whose session changes
        /// were dropped is replaced by a 409, which an error answer needs not (it already says it failed).
        case answered(status: Int)
        /// The handler threw anything else: only a purge, or a renew's end of its old key, is carried out
        /// (see ``SessionEngine/abandon(_:logger:)``), and the error is passed on unless a purge must remove
        /// the cookie.
        case threw(any Error)
    }

    /// What the adapter does with the response once the session has ended.
    public enum RequestEnd: Sendable, Equatable {
        /// Send the handler's response (or the framework's rendering of its error) with these headers
        /// added: each of ``SessionResponseHeaders/setCookies`` as a `Set-Cookie` field of its own, and
        /// ``SessionResponseHeaders/cacheControl``, when there is one, replacing any `Cache-Control`.
        case respond(adding: SessionResponseHeaders)
        /// Send an empty response with this status instead, with these headers: the session failed (a store
        /// failure is 500, a state over its size cap 422; no headers), the handler's session changes were
        /// dropped because its session ended or was renewed away meanwhile (409), or the handler failed after
        /// a logout (500, with the removal cookie that ends a cookie store's session). The cause is in the
        /// log, never in the response.
        case replace(status: Int, adding: SessionResponseHeaders)
        /// Pass the handler's error on, unchanged: it is not the session's.
        case rethrow
    }

    /// The `Cookie` header an adapter passes to ``begin(cookieHeader:logger:)``, built from the request's
    /// `Cookie` fields in order: call it once per field, starting from `nil`.
    ///
    /// ```swift
    /// var cookieHeader: String?
    /// for field in request.headers where field.name == .cookie {
    ///     cookieHeader = SessionEngine.cookieHeader(cookieHeader, appending: field.value)
    /// }
    /// let session = engine.begin(cookieHeader: cookieHeader, logger: logger)
    /// ```
    ///
    /// Several fields are joined with `"; "`, as RFC 9113 §8.2.3 joins HTTP/2's split `Cookie` fields, so
    /// that a session cookie in any of them is found.
    public static func cookieHeader(_ header: String?, appending field: String) -> String {
        guard let header else { return field }
        return header + "; " + field
    }

    /// Ends a request's session after its handler: commits or abandons it as `outcome` calls for and says
    /// what to send.
    ///
    /// ```swift
    /// let session = engine.begin(cookieHeader: cookieHeader, logger: logger)
    /// var response = Response(status: .internalServerError)
    /// var thrown: (any Error)?
    /// do {
    ///     response = try await handler(request, session)
    /// } catch {
    ///     thrown = error
    /// }
    /// switch await engine.end(session, after: thrown.map { .threw($0) } ?? .answered(status: response.status), logger: logger) {
    /// case .respond(let headers): return response.adding(headers)
    /// case .replace(let status, let headers): return Response(status: status).adding(headers)
    /// case .rethrow: throw thrown!
    /// }
    /// ```
    ///
    /// A handler that threw a ``SessionError`` (its session failed) is answered with `.replace`, logged at
    /// error level unless its cause was the store's (which the session logged when it failed); a refused
    /// write of the reserved principal entry is a 400, logged as a warning. So is a
    /// handler that threw after a logout (``HTTPSession/purge()``): its error is logged, and the empty 500
    /// carries the removal cookie, without which a cookie store's session would not end.
    public func end(_ session: HTTPSession, after outcome: HandlerOutcome, logger: Logger) async -> RequestEnd {
        // The calling-thread path first, as in `commit`: an untouched session or a store that never waits
        // costs no async frame beyond this one.
        if let end = endImmediately(session, after: outcome, logger: logger) { return end }
        switch outcome {
        case .answered(let status):
            do {
                return answer(status: status, adding: try await commit(session, loginAccepted: status < 400, logger: logger))
            } catch {
                return .replace(status: error.httpStatus, adding: SessionResponseHeaders())
            }
        case .threw(let error):
            let headers = await abandon(session, logger: logger)
            return Self.requestEnd(afterHandlerError: error, adding: headers, logger: logger)
        }
    }

    /// ``end(_:after:logger:)`` on the calling thread, when the session needs no store or its store never
    /// waits; `nil` when it would have to wait, and nothing was done: call ``end(_:after:logger:)``.
    package func endImmediately(_ session: HTTPSession, after outcome: HandlerOutcome, logger: Logger) -> RequestEnd? {
        switch outcome {
        case .answered(let status):
            do throws(SessionError) {
                guard let headers = try commitImmediately(session, loginAccepted: status < 400, logger: logger) else { return nil }
                return answer(status: status, adding: headers)
            } catch {
                return .replace(status: error.httpStatus, adding: SessionResponseHeaders())
            }
        case .threw(let error):
            guard let headers = abandonImmediately(session, logger: logger) else { return nil }
            return Self.requestEnd(afterHandlerError: error, adding: headers, logger: logger)
        }
    }

    /// The committed request's answer: the handler's response with the session's headers, or 409 Conflict
    /// when the handler answered below 400 but its session changes were dropped (an error answer already
    /// says it failed).
    private func answer(status: Int, adding headers: SessionResponseHeaders) -> RequestEnd {
        if headers.changesDropped, status < 400, configuration.answersDroppedChangesWithConflict {
            return .replace(status: 409, adding: headers)
        }
        return .respond(adding: headers)
    }

    private static func requestEnd(afterHandlerError error: any Error, adding headers: SessionResponseHeaders, logger: Logger) -> RequestEnd {
        if let error = error as? SessionError {
            if error.httpStatus == 400 {
                logger.warning("session write refused", metadata: ["error": "\(error)"])
            } else if !error.isStoreFailure {
                logger.error("session failure", metadata: ["error": "\(error)"])
            }
            return .replace(status: error.httpStatus == 400 ? 400 : 500, adding: headers)
        }
        // A logout followed by an error: the removal cookie must reach the browser (a cookie store's session
        // ends only so), and a thrown error carries no headers, so the error ends here, in the log.
        guard headers.setCookies.isEmpty else {
            logger.error("handler failed after ending its session; answered 500 with the removal cookie", metadata: ["error": "\(error)"])
            return .replace(status: 500, adding: headers)
        }
        return .rethrow
    }
}
