import Sessions

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds the demo's cookie secrets: `--secret`, else `SESSIONS_SECRET`, else a local file the demo
/// creates once (mode 0600) and reuses, so sessions survive a restart.
struct DemoSecrets {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The secrets, and a note to print once when a new secret file was created.
    static func resolve(options: DemoOptions, environment: [String: String]) throws -> (SessionSecrets, note: String?) {
        let previous = try options.previousSecret.map { try secret(fromHex: $0, source: "--previous-secret") }
        if let hex = options.secret {
            return (SessionSecrets(current: try secret(fromHex: hex, source: "--secret"), previous: previous), nil)
        }
        if let hex = environment["SESSIONS_SECRET"], !hex.isEmpty {
            return (SessionSecrets(current: try secret(fromHex: hex, source: "SESSIONS_SECRET"), previous: previous), nil)
        }
        let (hex, created) = try readOrCreateSecretFile(at: options.secretFile)
        let current = try secret(fromHex: hex, source: options.secretFile)
        let note = created ? "no --secret given: created a new session secret in \(options.secretFile) (mode 0600), reused on restart" : nil
        return (SessionSecrets(current: current, previous: previous), note)
    }

    static func secret(fromHex hex: String, source: String) throws -> SessionSecret {
        guard let bytes = decodeHex(hex.trimmingWhitespace()) else {
            throw Failure(description: "\(source) must be hexadecimal (an even number of 0-9 a-f digits)")
        }
        do {
            return try SessionSecret(bytes: bytes)
        } catch {
            throw Failure(description: "\(source): \(error)")
        }
    }

    static func decodeHex(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard !digits.isEmpty, digits.count % 2 == 0 else { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = hexValue(digits[index]), let low = hexValue(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    static func encodeHex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var output = [UInt8]()
        for byte in bytes {
            output.append(digits[Int(byte >> 4)])
            output.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Reads the secret file, or creates it with a fresh secret. `O_EXCL` makes creation atomic, so two
    /// demos starting together agree on one secret; the file is never readable by others.
    private static func readOrCreateSecretFile(at path: String) throws -> (hex: String, created: Bool) {
        let hex = encodeHex(SessionSecret.randomKeyBytes())
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        if descriptor >= 0 {
            defer { close(descriptor) }
            let line = Array((hex + "\n").utf8)
            let written = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard written == line.count else {
                throw Failure(description: "could not write the session secret to \(path)")
            }
            return (hex, true)
        }
        guard errno == EEXIST else {
            throw Failure(description: "could not create the session secret file \(path)")
        }
        guard let contents = readSmallFile(at: path) else {
            throw Failure(description: "could not read the session secret file \(path)")
        }
        return (contents.trimmingWhitespace(), false)
    }

    private static func readSmallFile(at path: String) -> String? {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 1024)
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var text = Substring(self)
        while let first = text.first, first.isWhitespace { text.removeFirst() }
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return String(text)
    }
}
