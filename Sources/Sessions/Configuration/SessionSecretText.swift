#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

#if canImport(Glibc)
import Glibc

private let systemRead = Glibc.read
#elseif canImport(Darwin)
import Darwin

private let systemRead = Darwin.read
#endif

extension SessionSecret {
    /// How a secret is written as text.
    public enum Encoding: Sendable, Hashable {
        /// Hexadecimal digits, in either case: what `openssl rand -hex 64` prints.
        case hex
        /// Base64, standard or URL-safe, padded or not, whitespace anywhere ignored: what `openssl rand -base64 48`
        /// prints.
        case base64
    }

    /// Reads a secret written as text.
    ///
    /// 64 bytes are the key itself; anything else of at least 32 bytes is a master secret, stretched with
    /// HKDF-SHA256 (``init(bytes:)``). Surrounding whitespace is ignored.
    ///
    /// ```swift
    /// let secret = try SessionSecret(text: configuredSecret, encoding: .base64)
    /// ```
    /// - Parameters:
    ///   - text: the secret, written in `encoding`.
    ///   - encoding: hexadecimal or base64.
    ///   - source: what the text came from (a variable, a file), named in the error. Never the text.
    /// - Throws: ``SessionConfigurationError`` naming `source`, the encoding and the lengths accepted.
    public init(text: String, encoding: Encoding, source: String = "the session secret") throws(SessionConfigurationError) {
        // A byte-order mark (an editor on Windows) and surrounding whitespace are not part of the secret; base64
        // may also be wrapped over lines, as `openssl rand -base64` prints it.
        var characters = Array(text.utf8)
        if characters.starts(with: [0xEF, 0xBB, 0xBF]) { characters.removeFirst(3) }
        let trimmed =
            encoding == .base64
            ? characters.filter { !Self.isSpace($0) }
            : Array(characters.drop { Self.isSpace($0) }.reversed().drop { Self.isSpace($0) }.reversed())
        let bytes: [UInt8]
        switch encoding {
        case .hex:
            guard let decoded = Self.decodeHex(trimmed) else {
                throw .invalid("\(source) must be hexadecimal (an even number of the digits 0-9, a-f); `openssl rand -hex 64` makes one")
            }
            bytes = decoded
        case .base64:
            guard let decoded = Self.decodeBase64(trimmed) else {
                throw .invalid("\(source) must be base64 (standard or URL-safe); `openssl rand -base64 48` makes one")
            }
            bytes = decoded
        }
        guard bytes.count >= Self.minimumMasterSecretLength else {
            let (unit, perByte, tool) =
                encoding == .hex
                ? ("hex digits", 2, "openssl rand -hex 64") : ("bytes once decoded", 1, "openssl rand -base64 48")
            throw .invalid(
                "\(source) is too short: \(bytes.count * perByte) \(unit), expected \(Self.keyLength * perByte) (a \(Self.keyLength)-byte key) "
                    + "or at least \(Self.minimumMasterSecretLength * perByte) (a master secret); `\(tool)` makes one"
            )
        }
        try self.init(bytes: bytes)
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\t")
    }

    private static func decodeHex(_ digits: [UInt8]) -> [UInt8]? {
        guard !digits.isEmpty, digits.count % 2 == 0 else { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = hexValue(digits[index]), let low = hexValue(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Standard and URL-safe base64 are one alphabet apart: map to the URL-safe one and drop the padding.
    private static func decodeBase64(_ text: [UInt8]) -> [UInt8]? {
        var unpadded = text[...]
        while unpadded.last == UInt8(ascii: "=") { unpadded.removeLast() }
        guard !unpadded.isEmpty, text.count - unpadded.count <= 2 else { return nil }
        let urlSafe = unpadded.map { byte -> UInt8 in
            switch byte {
            case UInt8(ascii: "+"): UInt8(ascii: "-")
            case UInt8(ascii: "/"): UInt8(ascii: "_")
            default: byte
            }
        }
        return Base64URL.decode(urlSafe)
    }
}

extension SessionSecrets {
    /// Reads the secrets from environment variables: the current one from `variable`, previous ones (during
    /// a rotation) from `previousVariable`, separated by commas or whitespace.
    ///
    /// ```swift
    /// // SESSIONS_SECRET=$(openssl rand -hex 64)
    /// let secrets = try SessionSecrets(environmentVariable: "SESSIONS_SECRET")
    /// ```
    /// - Parameters:
    ///   - variable: holds the current secret; it must be set.
    ///   - previousVariable: holds the previous secrets still accepted for reading; may be unset or empty.
    ///     `SESSIONS_PREVIOUS_SECRETS` unless given, whatever `variable` is.
    ///   - encoding: how both are written.
    ///   - environment: where to read them; the process's environment unless a test gives its own.
    /// - Throws: ``SessionConfigurationError`` naming the variable, when it is unset or not a secret.
    public init(
        environmentVariable variable: String,
        previousVariable: String = "SESSIONS_PREVIOUS_SECRETS",
        encoding: SessionSecret.Encoding = .hex,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(SessionConfigurationError) {
        // A value passed where the name belongs (`environmentVariable: Environment.get("SECRET")!`) must not
        // reach an error message: a name is letters, digits and underscores.
        for name in [variable, previousVariable] where !Self.isVariableName(name) {
            throw .invalid("an environment variable's name must be letters, digits and underscores: pass the variable's name, not its value")
        }
        guard let text = environment[variable], !text.allSatisfy(\.isWhitespace) else {
            throw .invalid("\(variable) is not set: set it to a secret of 64 random bytes, for example `export \(variable)=$(openssl rand -hex 64)`")
        }
        let current = try SessionSecret(text: text, encoding: encoding, source: variable)
        let previous = try Self.list(environment[previousVariable] ?? "", encoding: encoding, source: previousVariable)
        self.init(current: current, previous: previous)
    }

    /// Reads the secrets from a file, as secret managers mount them (Docker and Kubernetes secrets): the first
    /// line holds the current secret, each further non-empty line a previous one still accepted for reading.
    ///
    /// ```swift
    /// let secrets = try SessionSecrets(contentsOfFile: "/run/secrets/sessions")
    /// ```
    /// - Throws: ``SessionConfigurationError`` naming the file, when it cannot be read or holds no secret.
    public init(contentsOfFile path: String, encoding: SessionSecret.Encoding = .hex) throws(SessionConfigurationError) {
        // A secret passed where the path belongs must not reach an error message: name only what looks like a path.
        let name =
            path.hasPrefix("/") || path.hasPrefix(".") ? "the session secret file \(path)" : "the session secret file (a path starting with / or .)"
        let text = try Self.readSmallRegularFile(path, name: name)
        let lines = text.split(whereSeparator: \.isNewline).filter { !$0.allSatisfy(\.isWhitespace) }
        guard let first = lines.first else { throw .invalid("\(name) holds no secret") }
        let current = try SessionSecret(text: String(first), encoding: encoding, source: "the first line of \(name)")
        var previous: [SessionSecret] = []
        for (index, line) in lines.dropFirst().enumerated() {
            previous.append(try SessionSecret(text: String(line), encoding: encoding, source: "previous secret \(index + 1) in \(name)"))
        }
        self.init(current: current, previous: previous)
    }

    /// The file's text, read only if it is a regular file of at most 64 KiB (symbolic links followed, as
    /// Kubernetes mounts secrets): a FIFO, a device or a large file named by mistake fails at once.
    private static func readSmallRegularFile(_ path: String, name: String) throws(SessionConfigurationError) -> String {
        let limit = 64 << 10
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw .invalid("\(name) could not be opened: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { throw .invalid("\(name) is not a regular file") }
        guard info.st_size <= limit else { throw .invalid("\(name) is larger than 64 KiB") }
        var buffer = [UInt8](repeating: 0, count: limit + 1)
        var count = 0
        while count < buffer.count {
            let read = buffer.withUnsafeMutableBytes { systemRead(descriptor, $0.baseAddress! + count, $0.count - count) }
            if read < 0, errno == EINTR { continue }
            guard read >= 0 else { throw .invalid("\(name) could not be read: \(String(cString: strerror(errno)))") }
            if read == 0 { break }
            count += read
        }
        guard count <= limit else { throw .invalid("\(name) is larger than 64 KiB") }
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }

    private static func isVariableName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { return false }
        return name.utf8.allSatisfy { byte in
            byte == UInt8(ascii: "_") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
    }

    private static func list(_ text: String, encoding: SessionSecret.Encoding, source: String) throws(SessionConfigurationError) -> [SessionSecret] {
        let items = text.split { $0 == "," || $0.isWhitespace }
        var secrets: [SessionSecret] = []
        for (index, item) in items.enumerated() {
            let name = items.count == 1 ? source : "secret \(index + 1) in \(source)"
            secrets.append(try SessionSecret(text: String(item), encoding: encoding, source: name))
        }
        return secrets
    }
}
