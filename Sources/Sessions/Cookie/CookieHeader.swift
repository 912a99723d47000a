/// Reads the values of one cookie out of a request's `Cookie` header (RFC 6265 §5.4 syntax).
package enum CookieHeader {
    /// At most this many same-named cookies are tried: bounds the work a hostile header can cause.
    package static let maximumCandidates = 4

    /// The values of every cookie called `name`, in header order, unquoted, at most ``maximumCandidates``.
    ///
    /// Scans the header's UTF-8 bytes once, in place: this runs on every request that touches its session.
    package static func values(named name: String, in header: String) -> [Substring] {
        var found: [Substring] = []
        let utf8 = header.utf8
        let nameBytes = name.utf8
        var pairStart = utf8.startIndex
        while pairStart < utf8.endIndex {
            let pairEnd = utf8[pairStart...].firstIndex(of: UInt8(ascii: ";")) ?? utf8.endIndex
            if let equals = utf8[pairStart..<pairEnd].firstIndex(of: UInt8(ascii: "=")),
                trimmed(utf8[pairStart..<equals]).elementsEqual(nameBytes)
            {
                var value = trimmed(utf8[utf8.index(after: equals)..<pairEnd])
                if value.count >= 2, value.first == UInt8(ascii: "\""), value.last == UInt8(ascii: "\"") {
                    value = value.dropFirst().dropLast()
                }
                found.append(Substring(value))
                if found.count == maximumCandidates { break }
            }
            pairStart = pairEnd < utf8.endIndex ? utf8.index(after: pairEnd) : pairEnd
        }
        return found
    }

    private static func trimmed(_ bytes: Substring.UTF8View) -> Substring.UTF8View {
        var bytes = bytes
        while let first = bytes.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") { bytes.removeFirst() }
        while let last = bytes.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { bytes.removeLast() }
        return bytes
    }
}
