import Foundation
@testable import Sessions
import Testing

/// The fast path for simple JSON scalars must agree with Foundation's coders wherever it answers.
@Suite struct JSONScalarFastPathTests {
    static let texts = [
        "0", "-0", "7", "-7", "42", "9223372036854775807", "-9223372036854775807", "-9223372036854775808",
        "9223372036854775808", "00", "01", "-", "1.5", "1e3", "true", "false", "null", "tru", "nul", "True",
        #""""#, #""plain""#, #""héllo wörld ✓""#, #""with \"escape\"""#, #""slash\/""#, #""\u0041""#, #""unterminated"#,
        #"""#, "[1]", "{}", " 1", "1 ",
    ]

    @Test(arguments: texts)
    func decodingAgreesWithJSONDecoder(_ text: String) throws {
        let fast = Array(text.utf8).withUnsafeBytes { JSONValue.simpleScalar(json: $0) }
        let foundation = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        if let fast {
            #expect(fast == foundation, "\(text)")
            if case .integer = foundation { #expect(fast == foundation) }
        }
    }

    @Test func theCommonFormsTakeTheFastPath() {
        for text in ["42", "-7", "true", "null", #""ada""#] {
            #expect(Array(text.utf8).withUnsafeBytes { JSONValue.simpleScalar(json: $0) } != nil, "\(text)")
        }
    }

    @Test(arguments: [
        JSONValue.null, true, false, 0, -1, .integer(.max), .integer(.min), "", "ada", "héllo ✓", "quote\"", "back\\slash",
        "new\nline", "a/b", 1.5, [1, 2], ["a": 1],
    ])
    func encodingIsJSONThatDecodesToTheSameValue(_ value: JSONValue) throws {
        guard let json = value.simpleScalarJSON else { return }
        #expect(try JSONDecoder().decode(JSONValue.self, from: Data(json)) == value)
        #expect(json.withUnsafeBytes { JSONValue.simpleScalar(json: $0) } == value, "what the fast path writes, it reads back")
    }
}
