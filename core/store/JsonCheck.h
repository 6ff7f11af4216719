// Strict checks of JSON text that QJsonDocument::fromJson does not make: a raw control character inside a
// string (RFC 8259 section 7 asks for U+0000 to U+001F to be escaped; Qt accepts them) and a key that occurs
// twice in one object (Qt keeps the last value without a word). Called on a file before it is parsed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pw::store {

/** One fault found by checkJson(), with where it is (1-based line and column, in characters). */
struct JsonIssue
{
    int line = 0;
    int column = 0;
    std::string path; // the key path of the value at fault ("tasks[0].params"); empty: the top-level value
    std::string message; // what is wrong, naming the path ("duplicate key 'epochs' in tasks[0].params")

    /** "line 3, column 12: duplicate key 'epochs' in tasks[0].params". */
    std::string text() const;
};

/**
 * Scans UTF-8 JSON text for raw control characters inside strings and for duplicate keys within one object
 * (keys compare after their escapes are decoded: "a" and "\u0061" are the same key). Returns every fault in the
 * order of the text (at most 20). Text that is not well-formed JSON is scanned up to its first syntax error
 * and no further: reporting that error is the parser's job.
 */
std::vector<JsonIssue> checkJson(std::string_view utf8);

/** The issues' texts joined with "; " (empty when there are none). */
std::string jsonIssuesText(const std::vector<JsonIssue> &issues);

} // namespace pw::store
