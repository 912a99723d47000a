/// The one rule for entry names: Unicode Normalization Form C.
///
/// Swift compares `String`s by canonical equivalence, so a request's own view finds `"é"` under
/// `"e\u{301}"`; the stores compare bytes (a Redis field, a key in a SQL JSON column). Without one form, a
/// `remove("é")` of an entry stored as `"e\u{301}"` removed it from the request's view but not from the
/// store, and it came back on the next load. Every name that enters through ``HTTPSession`` or
/// ``LoadedHTTPSession`` is normalized to NFC first, so every store sees the same bytes for the same name.
///
/// Names already stored in another form (by a release before this rule) are read as they are: such an
/// entry is found, and a write of it lands under the NFC name beside the old one, which removing the NFC
/// name leaves in place. Only non-ASCII names written in decomposed form can be affected.
enum EntryName {
    /// `name` in NFC. ASCII names, the usual ones, are already NFC and are returned as they are.
    static func normalized(_ name: String) -> String {
        // A buffer, not the UTF-8 view's iterator: this runs for every name a handler uses.
        let ascii = name.utf8.withContiguousStorageIfAvailable { bytes in !bytes.contains { $0 >= 0x80 } } ?? false
        if ascii { return name }
        // The standard library's own NFC (what Foundation's `precomposedStringWithCanonicalMapping` uses).
        return String(decoding: name._nfcCodeUnits, as: UTF8.self)
    }
}
