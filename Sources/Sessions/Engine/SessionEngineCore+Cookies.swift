extension SessionEngineCore {
    /// `payload` sealed into a cookie value, which is remembered as opened: the browser sends it back next,
    /// and it then opens from the cache.
    func sealCookie(_ payload: String) -> String {
        let value = codec.seal(payload)
        openedCookies.remember(value, SessionCookieCodec.Opened(payload: payload, usedPreviousSecret: false))
        return value
    }

    /// The payload of a cookie value, from the cache when this engine sealed or verified it before (compared
    /// byte for byte), else verified and then remembered; `nil` when it does not verify, which is never
    /// remembered.
    func openCookie(_ value: Substring) -> SessionCookieCodec.Opened? {
        if let cached = openedCookies.opened(value) { return cached }
        guard let opened = codec.open(value) else { return nil }
        openedCookies.remember(String(value), opened)
        return opened
    }
}
