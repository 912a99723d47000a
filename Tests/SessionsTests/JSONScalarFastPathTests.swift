import Foundation
import Testing

@testable import Sessions

/// The fast path for simple JSON scalars must agree with Foundation's coders wherever it answers, answer
/// for the forms it is meant for, and leave every other form to the coders.
@Suite struct JSONScalarFastPathTests {
    /// Texts the fast path must read, and must read as `JSONDecoder` does.
    static let fastTexts = [
        "0", "-0", "7", "-7", "42", "9223372036854775807", "-9223372036854775807", "-9223372036854775808", "true", "false", "null",
        #""""#, #""plain""#, #""héllo wörld ✓""#, #""slash/""#,
    ]
    /// Texts it must leave to the coders: fractions, exponents, overflow, escapes, leading zeros,
    /// containers, whitespace and malformed input.
    static let slowTexts = [
        "9223372036854775808", "-9223372036854775809", "00", "01", "-", "1.5", "1e3", "tru", "nul", "True",
        #""with \"escape\"""#, #""slash\/""#, #""\u0041""#, #""unterminated"#, #"""#, "[1]", "{}", " 1", "1 ",
    ]

    static func fast(_ text: String) -> JSONValue? {
        Array(text.utf8).withUnsafeBytes { JSONValue.simpleScalar(json: $0) }
    }

    @Test(arguments: fastTexts)
    func theSimpleFormsAreReadAsJSONDecoderReadsThem(_ text: String) throws {
        let fast = try #require(Self.fast(text), "\(text) takes the fast path")
        #expect(fast == (try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))), "\(text)")
    }

    @Test(arguments: slowTexts)
    func everyOtherFormIsLeftToTheCoders(_ text: String) {
        #expect(Self.fast(text) == nil, "\(text)")
    }

    @Test(arguments: [
        JSONValue.null, true, false, 0, -1, .integer(.max), .integer(.min), "", "ada", "héllo ✓",
    ])
    func theSimpleValuesAreWrittenAsJSONThatDecodesToThem(_ value: JSONValue) throws {
        let json = try #require(value.simpleScalarJSON, "\(value) takes the fast path")
        #expect(try JSONDecoder().decode(JSONValue.self, from: Data(json)) == value)
        #expect(json.withUnsafeBytes { JSONValue.simpleScalar(json: $0) } == value, "what the fast path writes, it reads back")
    }

    @Test(arguments: [JSONValue.string("quote\""), "back\\slash", "new\nline", "a/b", 1.5, [1, 2], ["a": 1]])
    func valuesThatNeedEscapesOrStructureAreLeftToTheEncoder(_ value: JSONValue) {
        #expect(value.simpleScalarJSON == nil, "\(value)")
    }
}
