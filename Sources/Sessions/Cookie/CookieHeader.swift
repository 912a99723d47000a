/// Reads the values of one cookie out of a request's `Cookie` header (RFC 6265 §5.4 syntax).
package enum CookieHeader {
    /// At most this many same-named cookies are tried: bounds the work a hostile header can cause.
    package static let maximumCandidates = 4

    /// The values of every cookie called `name`, in header order, unquoted, at most ``maximumCandidates``.
    ///
    /// Scans the header's UTF-8 bytes once, in place, and allocates nothing unless the cookie appears more
    /// than once: this runs on every request that touches its session.
    package static func values(named name: String, in header: String) -> CookieCandidates {
        var header = header
        var name = name
        var first: Range<Int>?
        var others: [Range<Int>] = []
        // Byte offsets into contiguous UTF-8, not String indices: the scan never walks a String view.
        header.withUTF8 { bytes in
            name.withUTF8 { name in
                var pairStart = 0
                while pairStart < bytes.count {
                    var pairEnd = pairStart
                    while pairEnd < bytes.count, bytes[pairEnd] != UInt8(ascii: ";") { pairEnd += 1 }
                    if let value = value(of: name, inPair: pairStart..<pairEnd, of: bytes) {
                        if first == nil { first = value } else { others.append(value) }
                        if 1 + others.count == maximumCandidates { break }
                    }
                    pairStart = pairEnd + 1
                }
            }
        }
        return CookieCandidates(header: header, firstRange: first, otherRanges: others)
    }

    /// The value's byte range when the pair `name=value` (trimmed, unquoted) is named `name`.
    private static func value(of name: UnsafeBufferPointer<UInt8>, inPair pair: Range<Int>, of bytes: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        var equals = pair.lowerBound
        while equals < pair.upperBound, bytes[equals] != UInt8(ascii: "=") { equals += 1 }
        guard equals < pair.upperBound else { return nil }
        let nameRange = trimmed(pair.lowerBound..<equals, of: bytes)
        guard nameRange.count == name.count, bytes[nameRange].elementsEqual(name) else { return nil }
        var value = trimmed(equals + 1..<pair.upperBound, of: bytes)
        if value.count >= 2, bytes[value.lowerBound] == UInt8(ascii: "\""), bytes[value.upperBound - 1] == UInt8(ascii: "\"") {
            value = value.lowerBound + 1..<value.upperBound - 1
        }
        return value
    }

    private static func trimmed(_ range: Range<Int>, of bytes: UnsafeBufferPointer<UInt8>) -> Range<Int> {
        var lower = range.lowerBound
        var upper = range.upperBound
        while lower < upper, bytes[lower] == UInt8(ascii: " ") || bytes[lower] == UInt8(ascii: "\t") { lower += 1 }
        while upper > lower, bytes[upper - 1] == UInt8(ascii: " ") || bytes[upper - 1] == UInt8(ascii: "\t") { upper -= 1 }
        return lower..<upper
    }
}

/// The values one cookie name has in a `Cookie` header, in header order: slices of the header, held
/// inline for the usual single value so that reading it allocates nothing.
package struct CookieCandidates: RandomAccessCollection, Sendable {
    private let header: String
    private let firstRange: Range<Int>?
    private let otherRanges: [Range<Int>]

    fileprivate init(header: String, firstRange: Range<Int>?, otherRanges: [Range<Int>]) {
        self.header = header
        self.firstRange = firstRange
        self.otherRanges = otherRanges
    }

    package var startIndex: Int { 0 }
    package var endIndex: Int { firstRange == nil ? 0 : 1 + otherRanges.count }

    package subscript(position: Int) -> Substring {
        let range = position == 0 ? firstRange! : otherRanges[position - 1]
        let utf8 = header.utf8
        let lower = utf8.index(utf8.startIndex, offsetBy: range.lowerBound)
        let upper = utf8.index(lower, offsetBy: range.count)
        return header[lower..<upper]
    }
}
