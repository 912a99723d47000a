public import Testing

/// Which store and which framework a suite exercises: `swift test --filter` takes a suite's name, and a
/// test runner or an IDE can select by these (`.tags(.redis)`).
extension Tag {
    @Tag public static var memory: Self
    @Tag public static var cookie: Self
    @Tag public static var sqlite: Self
    @Tag public static var postgres: Self
    @Tag public static var redis: Self
    @Tag public static var hummingbird: Self
    @Tag public static var vapor: Self
}
