/// Reads the values of one cookie out of a request's `Cookie` header (RFC 6265 §5.4 syntax).
enum CookieHeader {
    /// At most this many same-named cookies are tried: bounds the work a hostile header can cause.
    static let maximumCandidates = 4

    /// The values of every cookie called `name`, in header order, unquoted, at most ``maximumCandidates``.
    static func values(named name: String, in header: String) -> [Substring] {
        var found: [Substring] = []
        for pair in header.split(separator: ";", omittingEmptySubsequences: true) {
            guard let equals = pair.firstIndex(of: "=") else { continue }
            guard trimmed(pair[pair.startIndex..<equals]) == name else { continue }
            var value = trimmed(pair[pair.index(after: equals)...])
            if value.count >= 2, value.first == "\"", value.last == "\"" {
                value = value.dropFirst().dropLast()
            }
            found.append(value)
            if found.count == maximumCandidates { break }
        }
        return found
    }

    private static func trimmed(_ text: Substring) -> Substring {
        var text = text
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return text
    }
}
