// The RESP codec lives in its own module (it depends on NIOCore alone, so the fuzzers build it quickly);
// users of the client see its types through this one.
@_exported public import SessionsRESP
