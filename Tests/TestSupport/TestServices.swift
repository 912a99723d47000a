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
    public static func control(_ variable: String) throws {
        // system() waits on exactly its own child; Foundation's Process can miss the exit of a command
        // whose daemon child (the postmaster, redis-server) lives on.
        //
        // The command runs with every descriptor above stderr closed. A server it starts (redis-server, the
        // postmaster) would otherwise inherit this process's sockets and hold them open after the tests close
        // them: a peer would never see those connections end.
        let command = try environment(variable)
        let quoted = "'" + command.replacingOccurrences(of: "'", with: "'\\''") + "'"
        let closeInherited = "import os, sys; os.closerange(3, os.sysconf('SC_OPEN_MAX')); os.execvp('sh', ['sh', '-c', sys.argv[1]])"
        let status = system("exec python3 -c \"\(closeInherited)\" \(quoted) >/dev/null")
        guard status == 0 else { throw ControlFailed(variable: variable, status: status) }
    }
}
