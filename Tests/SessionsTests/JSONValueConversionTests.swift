import FoundationEssentials
import Testing

@testable import Sessions

/// Typed values take a direct path to and from `JSONValue` for the common scalars; the result must be the
/// one the JSON coders give.
@Suite struct JSONValueConversionTests {
    struct Profile: Codable, Equatable {
        var name: String
        var visits: Int
    }

    @Test func scalarsTakeTheirOwnCase() throws {
        #expect(try JSONValueConversion.encode("ada") == .string("ada"))
        #expect(try JSONValueConversion.encode(42) == .integer(42))
        #expect(try JSONValueConversion.encode(Int64.min) == .integer(.min))
        #expect(try JSONValueConversion.encode(true) == .bool(true))
        #expect(try JSONValueConversion.encode(2.5) == .double(2.5))
        #expect(try JSONValueConversion.encode(JSONValue.array([1, "two"])) == .array([1, "two"]))
    }

    @Test func scalarsComeBackAsTheirType() throws {
        #expect(try JSONValueConversion.decode(.string("ada"), as: String.self) == "ada")
        #expect(try JSONValueConversion.decode(.integer(42), as: Int.self) == 42)
        #expect(try JSONValueConversion.decode(.integer(.max), as: Int64.self) == .max)
        #expect(try JSONValueConversion.decode(.bool(false), as: Bool.self) == false)
        #expect(try JSONValueConversion.decode(.double(0.1), as: Double.self) == 0.1)
        #expect(try JSONValueConversion.decode(.integer(3), as: Double.self) == 3.0)
        #expect(try JSONValueConversion.decode(.null, as: JSONValue.self) == .null)
    }

    @Test func otherTypesRoundTripThroughJSON() throws {
        let profile = Profile(name: "ada", visits: 3)
        let json = try JSONValueConversion.encode(profile)
        #expect(json == .object(["name": "ada", "visits": 3]))
        #expect(try JSONValueConversion.decode(json, as: Profile.self) == profile)
        #expect(try JSONValueConversion.decode(.integer(7), as: Int?.self) == 7)
    }

    @Test func aMismatchedTypeIsADecodingError() {
        #expect(throws: DecodingError.self) { try JSONValueConversion.decode(.string("seven"), as: Int.self) }
        #expect(throws: DecodingError.self) { try JSONValueConversion.decode(.double(1.5), as: Int.self) }
    }

    @Test func aNonFiniteDoubleIsAnEncodingError() {
        #expect(throws: EncodingError.self) { try JSONValueConversion.encode(Double.infinity) }
        #expect(throws: EncodingError.self) { try JSONValueConversion.encode(Double.nan) }
    }
}
