import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The servers `scripts/test` starts for this run, as it describes them in the environment.
public enum TestServices {
    public struct NotConfigured: Error, CustomStringConvertible {
        let variable: String
        public var description: String {
            "\(variable) is not set: run the suite with scripts/test, which starts private PostgreSQL and Redis servers (a missing server is a failure, never a skip)"
        }
    }

    public struct ControlFailed: Error, CustomStringConvertible {
        let variable: String
        let status: Int32
        public var description: String { "the command in \(variable) failed (exit status \(status))" }
    }

    public static func environment(_ variable: String) throws -> String {
        guard let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty else { throw NotConfigured(variable: variable) }
        return value
    }

    /// Runs the shell command in `variable` (a server's stop or start) and waits until it is done.
    ///
    /// Runs on a Dispatch thread, not the Swift concurrency pool: the command blocks for as long as a server
    /// takes to stop or start, and the pool has one thread per core, which other tests need meanwhile.
    public static func control(_ variable: String) async throws {
        let command = try environment(variable)
        let status = await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: run(command)) }
        }
        guard status == 0 else { throw ControlFailed(variable: variable, status: status) }
    }

    private static func run(_ command: String) -> Int32 {
        // system() waits on exactly its own child; Foundation's Process can miss the exit of a command
        // whose daemon child (the postmaster, redis-server) lives on.
        //
        // The command runs with every descriptor above stderr closed. A server it starts (redis-server, the
        // postmaster) would otherwise inherit this process's sockets and hold them open after the tests close
        // them: a peer would never see those connections end.
        let quoted = "'" + command.replacingOccurrences(of: "'", with: "'\\''") + "'"
        let closeInherited = "import os, sys; os.closerange(3, os.sysconf('SC_OPEN_MAX')); os.execvp('sh', ['sh', '-c', sys.argv[1]])"
        return system("exec python3 -c \"\(closeInherited)\" \(quoted) >/dev/null")
    }
}
