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
        do {
            return try SessionSecret(text: hex, encoding: .hex, source: source)
        } catch {
            throw Failure(description: error.message)
        }
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

    /// Reads the secret file, or creates it with a fresh secret.
    ///
    /// An existing file is refused unless it is a regular file (not a symlink, which could point the demo at
    /// a secret someone else controls), owned by this user and readable by nobody else. A new one is
    /// written whole to a temporary file first and then linked into place, which fails if the name exists:
    /// two demos starting together never read a half-written secret, and both end up with the one that won.
    private static func readOrCreateSecretFile(at path: String) throws -> (hex: String, created: Bool) {
        if let existing = try readSecretFile(at: path) { return (existing, false) }
        let hex = encodeHex(SessionSecret.randomKeyBytes())
        let temporary = path + ".tmp-\(getpid())-\(UInt64.random(in: 0 ... .max))"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            throw Failure(description: "could not create the session secret file \(path): \(errnoText())")
        }
        defer { unlink(temporary) }
        let line = Array((hex + "\n").utf8)
        let written = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard written == line.count, synced else {
            throw Failure(description: "could not write the session secret to \(path)")
        }
        guard link(temporary, path) == 0 else {
            guard errno == EEXIST, let winner = try readSecretFile(at: path) else {
                throw Failure(description: "could not create the session secret file \(path): \(errnoText())")
            }
            return (winner, false)
        }
        return (hex, true)
    }

    /// The secret in an existing file, `nil` when there is no file; throws for a file that is not safe to
    /// trust or cannot be read.
    private static func readSecretFile(at path: String) throws -> String? {
        // Non-blocking, so that a FIFO put in the secret's place cannot hang the start before fstat refuses it.
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK)
        guard descriptor >= 0 else {
            switch errno {
            case ENOENT: return nil
            case ELOOP: throw Failure(description: "the session secret file \(path) is a symbolic link; refusing it")
            default: throw Failure(description: "could not read the session secret file \(path): \(errnoText())")
            }
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw Failure(description: "could not read the session secret file \(path): \(errnoText())")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw Failure(description: "the session secret file \(path) is not a regular file; refusing it")
        }
        guard info.st_uid == geteuid() else {
            throw Failure(description: "the session secret file \(path) belongs to another user; refusing it")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw Failure(description: "the session secret file \(path) is readable or writable by group or others (chmod 600 it); refusing it")
        }
        var buffer = [UInt8](repeating: 0, count: 1024)
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else {
            throw Failure(description: "the session secret file \(path) is empty")
        }
        return String(decoding: buffer[0..<count], as: UTF8.self).trimmingWhitespace()
    }

    private static func errnoText() -> String {
        String(cString: strerror(errno))
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
