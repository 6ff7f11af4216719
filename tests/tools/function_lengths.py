#!/usr/bin/env python3
"""Function length check for the C++ sources under core/, ui/ and app/.

Finds every function definition (free functions, member functions defined in or out of their class,
lambdas bound to a variable at namespace scope and lambdas inside namespace-scope initialisers), measures
it from the opening brace of its body to the closing one (both lines included), and prints those longer
than the limit as `file:line: name (N lines)`. Lambdas and local classes inside a function count toward
that function. Exits 1 when any is over the limit, 0 otherwise.

Comments, string literals, raw string literals, char literals and preprocessor lines are blanked before
braces are matched, so a brace inside any of them does not count.

Declarative tables (the schema migrations, the CLI command table) may be allowed: each allow entry is
`PATH NAME` (or `PATH:NAME`), both shell-style patterns, PATH relative to the root with '/' separators,
NAME the reported function name. Entries come from --allow and from --allow-file (by default the file
function_lengths.allow next to this script, when it exists). Lines starting with '#' are comments.

Standard library only. `--self-test` checks the scanner on embedded snippets.
"""

import argparse
import bisect
import fnmatch
import os
import re
import sys

SOURCE_DIRS = ("core", "ui", "app")
SOURCE_EXTS = (".cpp", ".cc", ".cxx", ".h", ".hpp", ".hxx")
DEFAULT_LIMIT = 150
IDENT = re.compile(r"[A-Za-z_0-9]")
RAW_PREFIXES = ("R", "LR", "uR", "UR", "u8R")


# --- blanking: comments, literals and preprocessor lines become spaces; newlines stay ---------------------

def _is_ident_char(ch):
    return ch.isalnum() or ch == "_"


def _token_start(text, pos):
    """Start of the identifier/number token that ends just before pos."""
    j = pos
    while j > 0 and (_is_ident_char(text[j - 1]) or text[j - 1] in "'."):
        j -= 1
    return j


def blank(src):
    """Returns src with comments, literal contents and preprocessor directives replaced by spaces.

    Quotes of string and char literals are kept (so `extern "C"` stays recognisable); the text keeps its
    length and its newlines, so offsets and line numbers carry over.
    """
    out = list(src)
    n = len(src)
    i = 0
    line_start = True  # only whitespace seen since the last newline

    def wipe(a, b):
        for k in range(a, b):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        c = src[i]
        if c == "\n":
            line_start = True
            i += 1
            continue
        if c in " \t\r\f\v":
            i += 1
            continue
        if c == "#" and line_start:
            j = i
            while j < n and src[j] != "\n":
                if src[j] == "\\" and j + 1 < n and src[j + 1] == "\n":
                    j += 2
                    continue
                if src.startswith("/*", j):  # a block comment inside a directive may span lines
                    end = src.find("*/", j + 2)
                    j = n if end < 0 else end + 2
                    continue
                j += 1
            wipe(i, j)
            i = j
            continue
        line_start = False
        if src.startswith("//", i):
            j = i
            while j < n and src[j] != "\n":
                if src[j] == "\\" and j + 1 < n and src[j + 1] == "\n":
                    j += 2
                    continue
                j += 1
            wipe(i, j)
            i = j
            continue
        if src.startswith("/*", i):
            end = src.find("*/", i + 2)
            j = n if end < 0 else end + 2
            wipe(i, j)
            i = j
            continue
        if c == '"':
            start = _token_start(src, i)
            prefix = src[start:i]
            if prefix in RAW_PREFIXES:
                paren = src.find("(", i + 1)
                delim = src[i + 1:paren] if paren >= 0 else ""
                end = src.find(")" + delim + '"', paren + 1) if paren >= 0 else -1
                j = n if end < 0 else end + len(delim) + 2
                wipe(i + 1, j - 1)
                i = j
                continue
            j = i + 1
            while j < n and src[j] != '"' and src[j] != "\n":
                j += 2 if src[j] == "\\" else 1
            wipe(i + 1, min(j, n))
            i = j + 1
            continue
        if c == "'":
            start = _token_start(src, i)
            if start < i and src[start].isdigit():  # digit separator: 1'000'000
                i += 1
                continue
            j = i + 1
            while j < n and src[j] != "'" and src[j] != "\n":
                j += 2 if src[j] == "\\" else 1
            wipe(i + 1, min(j, n))
            i = j + 1
            continue
        i += 1
    return "".join(out)


def match_braces(clean):
    """Maps each '{' offset to the offset of its '}' (unmatched ones map to the end of the text)."""
    pairs = {}
    stack = []
    for i, c in enumerate(clean):
        if c == "{":
            stack.append(i)
        elif c == "}" and stack:
            pairs[stack.pop()] = i
    for open_pos in stack:
        pairs[open_pos] = len(clean) - 1
    return pairs


# --- what a '{' at namespace or class scope opens ---------------------------------------------------------

ACCESS = re.compile(r"\b(?:(?:public|protected|private)(?:\s+(?:slots|Q_SLOTS))?|signals|Q_SIGNALS)\s*:(?!:)")
NOT_A_NAME = {"decltype", "alignas", "noexcept", "sizeof", "alignof", "__attribute__", "__declspec",
              "throw", "requires", "if", "for", "while", "switch", "catch", "return"}
TRAILING_WORDS = re.compile(r"(?:\b(?:const|volatile|override|final|noexcept|mutable|constexpr|try)|&&|&)\s*$")
NAME_AT_END = re.compile(
    r"((?:[A-Za-z_]\w*\s*(?:<[^(){};]*>)?\s*::\s*)*"
    r"(?:operator\s*(?:\(\s*\)|\[\s*\]|(?:new|delete)(?:\s*\[\s*\])?|\"\"\s*\w+|[^\s\w()]+|[A-Za-z_][\w\s:<>*&]*?)"
    r"|~?\s*[A-Za-z_]\w*))\s*$")
LAMBDA_TAIL = re.compile(r"^\s*\[[^\[\]]*\]\s*(?:\(.*\))?[\s\w:<>&*,\->]*$", re.S)


def _depth0(text):
    """Yields (index, char) of text outside (), [] and {} pairs."""
    depth = 0
    for i, c in enumerate(text):
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth = max(0, depth - 1)
            if depth == 0 and c == ")":
                yield i, c
            continue
        if depth == 0:
            yield i, c


def _matching_open(text, close):
    depth = 0
    for k in range(close, -1, -1):
        if text[k] in ")]}":
            depth += 1
        elif text[k] in "([{":
            depth -= 1
            if depth == 0:
                return k
    return -1


def _strip_template_prefix(header):
    h = header.lstrip()
    while h.startswith("template"):
        rest = h[len("template"):].lstrip()
        if not rest.startswith("<"):
            break
        depth = 0
        for k, c in enumerate(rest):
            depth += c == "<"
            depth -= c == ">"
            if depth == 0:
                h = rest[k + 1:].lstrip()
                break
        else:
            break
    return h


def _ctor_init_colon(header):
    """Offset of a constructor's initialiser-list ':' (a lone ':' after a top-level ')'), or -1."""
    seen_paren = False
    for i, c in _depth0(header):
        if c == ")":
            seen_paren = True
        elif c == ":" and seen_paren:
            before = header[i - 1] if i > 0 else ""
            after = header[i + 1] if i + 1 < len(header) else ""
            if before != ":" and after != ":":
                return i
    return -1


def _strip_trailing(sig):
    """Drops cv/ref/noexcept/override qualifiers and a trailing return type from a signature."""
    sig = sig.rstrip()
    arrow = -1
    for i, c in _depth0(sig):
        if c == "-" and sig.startswith("->", i):
            arrow = i
    if arrow >= 0 and ")" in sig[:arrow]:
        sig = sig[:arrow].rstrip()
    while True:
        m = TRAILING_WORDS.search(sig)
        if m:
            sig = sig[:m.start()].rstrip()
            continue
        if sig.endswith(")"):
            open_pos = _matching_open(sig, len(sig) - 1)
            word = re.search(r"(\w+)\s*$", sig[:open_pos]) if open_pos > 0 else None
            if word and word.group(1) in ("noexcept", "throw", "__attribute__"):
                sig = sig[:word.start()].rstrip()
                continue
        return sig


def _function_name(sig):
    """Name of the function whose signature (qualifiers stripped) ends with its parameter list."""
    if not sig.endswith(")"):
        return None
    open_pos = _matching_open(sig, len(sig) - 1)
    if open_pos <= 0:
        return None
    m = NAME_AT_END.search(sig[:open_pos])
    if not m:
        return None
    name = re.sub(r"\s+", " ", m.group(1)).strip()
    last = re.sub(r".*::\s*", "", name)
    if last in NOT_A_NAME:
        return None
    return name


def _top_level_assign(header):
    for i, c in _depth0(header):
        if c == "=":
            prev = header[i - 1] if i > 0 else ""
            nxt = header[i + 1] if i + 1 < len(header) else ""
            if prev in "=!<>+-*/%&|^" or nxt == "=":
                continue
            if re.search(r"operator\s*$", header[:i]):
                continue
            return i
    return -1


def classify(header, pending_init):
    """What the '{' after header opens: ('namespace'|'class'|'function'|'member-init'|'data', name)."""
    m = None
    for m in ACCESS.finditer(header):
        pass
    if m:
        header = header[m.end():]
    h = _strip_template_prefix(header).strip()
    if re.match(r"^(?:inline\s+)?namespace\b", h) or re.match(r'^extern\s*""\s*$', h):
        return "namespace", None
    colon = _ctor_init_colon(h)
    if colon >= 0 and not pending_init:
        tail = h[colon + 1:].rstrip()
        if tail and (_is_ident_char(tail[-1]) or tail[-1] == ">"):
            return "member-init", None
    if colon >= 0:
        sig = h[:colon]
    else:
        sig = h
    assign = _top_level_assign(sig)
    if assign >= 0:
        lhs, rhs = sig[:assign], sig[assign + 1:]
        var = re.search(r"([A-Za-z_]\w*)\s*(?:\[[^\]]*\]\s*)*$", lhs)
        if LAMBDA_TAIL.match(rhs) and var:
            return "function", var.group(1) + " (lambda)"
        return "data", var.group(1) if var else None
    name = _function_name(_strip_trailing(sig))
    if name and colon < 0 and re.search(r"(?:^|[^\w])(?:class|struct|union|enum)\s", " " + sig) \
            and not re.search(r"\)\s*$", _strip_trailing(sig)):
        name = None
    if name:
        return "function", name
    cls = re.search(r"\b(?:class|struct|union|enum(?:\s+(?:class|struct))?)\b\s*(?:\w+\s+)*?([A-Za-z_]\w*)?\s*"
                    r"(?:final\s*)?(?::[^{]*)?$", sig)
    if cls and re.search(r"\b(?:class|struct|union|enum)\b", sig):
        return "class", cls.group(1) or "(anonymous)"
    var = re.search(r"([A-Za-z_]\w*)\s*(?:\[[^\]]*\]\s*)*$", sig)
    return "data", var.group(1) if var else None


# --- walking a file ---------------------------------------------------------------------------------------

class Scanner:
    def __init__(self, src):
        self.clean = blank(src)
        self.pairs = match_braces(self.clean)
        self.line_starts = [0] + [i + 1 for i, c in enumerate(self.clean) if c == "\n"]
        self.found = []  # (name, first line, last line)

    def line(self, pos):
        return bisect.bisect_right(self.line_starts, pos)

    def record(self, name, open_pos, close_pos):
        self.found.append((name, self.line(open_pos), self.line(close_pos)))

    def scope(self, start, end, owner):
        """Declarations between start and end (exclusive) at namespace or class scope."""
        text = self.clean
        header_start = start
        pending_init = False  # a constructor's member initialiser braces were seen in this header
        parens = 0  # a '{' inside parentheses (a lambda passed to a member initialiser) is part of the header
        i = start
        while i < end:
            c = text[i]
            if c == "(":
                parens += 1
            elif c == ")":
                parens = max(0, parens - 1)
            elif c == ";":
                header_start, pending_init, parens = i + 1, False, 0
            elif c == "{" and parens:
                i = self.pairs[i] + 1
                continue
            elif c == "{":
                close = self.pairs[i]
                kind, name = classify(text[header_start:i], pending_init)
                if kind == "member-init":
                    i = close + 1
                    pending_init = False
                    continue
                if kind == "namespace":
                    self.scope(i + 1, close, owner)
                elif kind == "class":
                    self.scope(i + 1, close, owner + [name])
                elif kind == "function":
                    self.record("::".join(owner + [name]), i, close)
                else:
                    self.lambdas(i + 1, close, owner + ([name] if name else []))
                header_start, pending_init = close + 1, False
                i = close + 1
                continue
            i += 1

    def lambdas(self, start, end, owner):
        """Lambda bodies inside a namespace- or class-scope initialiser (a command table, say)."""
        text = self.clean
        i = start
        while i < end:
            if text[i] == "[":
                body = self._lambda_body(i, end)
                if body is not None:
                    self.record("::".join(owner + ["(lambda)"]), body, self.pairs[body])
                    i = self.pairs[body] + 1
                    continue
            i += 1

    def _lambda_body(self, bracket, end):
        text = self.clean
        close = text.find("]", bracket)
        if close < 0 or close >= end or "[" in text[bracket + 1:close]:
            return None
        j = close + 1
        while j < end and text[j].isspace():
            j += 1
        if j < end and text[j] == "(":
            depth = 0
            while j < end:
                depth += text[j] == "("
                depth -= text[j] == ")"
                j += 1
                if depth == 0:
                    break
        while j < end and (text[j].isspace() or _is_ident_char(text[j]) or text[j] in ":<>&*-,"):
            j += 1
        return j if j < end and text[j] == "{" else None


def scan_source(src):
    """[(name, first line, last line)] of the functions defined in src."""
    scanner = Scanner(src)
    scanner.scope(0, len(scanner.clean), [])
    return scanner.found


def source_files(root):
    for top in SOURCE_DIRS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames.sort()
            for f in sorted(filenames):
                if f.endswith(SOURCE_EXTS):
                    yield os.path.join(dirpath, f)


def read_allow(path):
    entries = []
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.split("#", 1)[0].strip()
            if line:
                entries.append(parse_allow(line))
    return entries


def parse_allow(entry):
    """'PATH NAME' or 'PATH:NAME' (a path holds no ':'; a name may hold '::')."""
    parts = entry.split(None, 1)
    if len(parts) == 1:
        m = re.match(r"^([^:]+):(.+)$", entry)
        parts = [m.group(1), m.group(2)] if m else parts
    if len(parts) != 2:
        raise ValueError("allow entry needs a path and a function name: %r" % entry)
    return parts[0].strip(), parts[1].strip()


def allowed(rel, name, allow):
    return any(fnmatch.fnmatchcase(rel, p) and fnmatch.fnmatchcase(name, n) for p, n in allow)


def check(root, limit, allow, show_all=False, out=sys.stdout):
    """Prints the functions over limit (or all with show_all); returns how many are over and not allowed."""
    over = 0
    rows = []
    for path in source_files(root):
        rel = os.path.relpath(path, root).replace(os.sep, "/")
        with open(path, encoding="utf-8", errors="replace") as f:
            src = f.read()
        for name, first, last in scan_source(src):
            length = last - first + 1
            if length > limit or show_all:
                rows.append((rel, first, name, length))
    for rel, first, name, length in rows:
        if length > limit and not allowed(rel, name, allow):
            over += 1
            print("%s:%d: %s (%d lines)" % (rel, first, name, length), file=out)
        elif show_all or length > limit:
            note = " [allowed]" if length > limit else ""
            print("%s:%d: %s (%d lines)%s" % (rel, first, name, length, note), file=out)
    return over


# --- self-test --------------------------------------------------------------------------------------------

def _body(lines):
    """A function body of exactly `lines` lines from '{' to '}' inclusive."""
    return "{\n" + "    x += 1;\n" * (lines - 2) + "}\n"


def self_test():
    failures = []

    def expect(label, got, want):
        if got != want:
            failures.append("%s: got %r, want %r" % (label, got, want))

    def lengths(src):
        return [(n, b - a + 1) for n, a, b in scan_source(src)]

    # A 151-line function is over the default limit, a 150-line one is not.
    src = "int big(int x)\n" + _body(151) + "\nint edge(int x)\n" + _body(150)
    expect("lengths", lengths(src), [("big", 151), ("edge", 150)])
    over = [n for n, length in lengths(src) if length > DEFAULT_LIMIT]
    expect("over the limit", over, ["big"])

    # Braces in comments, strings, raw strings and char literals are not braces.
    src = r'''
// a comment with a { brace
/* and a block one } { */
static const char *kSql = R"sql(
  SELECT '{' FROM t; -- } )" still inside
)sql";
void tricky()
{
    const char *s = "}{\"}";
    char c = '{';
    char d = '\'';
    int n = 1'000'000;
    auto raw = R"x( } ) }" )x";
    auto w = u8R"(})"; // }
    /* } */
}
#define OPEN {
int after() { return 1; }
'''
    found = scan_source(src)
    expect("literals", [(n, a, b) for n, a, b in found], [("tricky", 8, 16), ("after", 18, 18)])

    # Member functions inside a class and out of it, constructors with initialiser braces, operators.
    src = '''
namespace pw::x {
class Widget : public Base
{
    Q_OBJECT
public:
    Widget() : a{1}, b(2), c{}, d([this] { return 1; }) { setup(); }
    ~Widget() override {}
    int size() const noexcept { return 0; }
    bool operator()(int x) const { return x > 0; }
    Widget &operator=(const Widget &) { return *this; }
    auto tail() -> std::vector<int> { return {}; }
signals:
    void changed();
private:
    struct Inner { void run() { } };
    int a, b, c;
};
template <typename T = int>
T Widget::make(T v)
{
    struct Local { int f() { return 1; } };
    auto l = [&](int q) { return q; };
    return v;
}
const auto kFn = [](int v) { return v; };
const Row kTable[] = {
    {"a", [](const Args &a) { return run(a); }},
};
enum class Kind : int { A, B };
}
'''
    names = [n for n, _, _ in scan_source(src)]
    expect("members", names, ["Widget::Widget", "Widget::~Widget", "Widget::size", "Widget::operator()",
                              "Widget::operator=", "Widget::tail", "Widget::Inner::run", "Widget::make",
                              "kFn (lambda)", "kTable::(lambda)"])
    local = [(n, a, b) for n, a, b in scan_source(src) if n == "Widget::make"]
    expect("local class and lambda count toward the function", local, [("Widget::make", 21, 25)])

    # The allow list lets a declarative table through.
    allow = [parse_allow("core/store/Schema.cpp catalogMigrations"), parse_allow("app/cli/*.cpp:command*")]
    expect("allow", allowed("core/store/Schema.cpp", "catalogMigrations", allow), True)
    expect("allow colon form", allowed("app/cli/Cli.cpp", "commandTable", allow), True)
    expect("not allowed", allowed("core/store/Schema.cpp", "other", allow), False)

    for f in failures:
        print("self-test FAILED: " + f)
    if not failures:
        print("self-test passed")
    return 1 if failures else 0


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", default=os.path.dirname(os.path.dirname(here)),
                        help="repository root (default: two folders above this script)")
    parser.add_argument("--limit", type=int, default=DEFAULT_LIMIT, help="longest allowed function, in lines")
    parser.add_argument("--allow", action="append", default=[], metavar="PATH:NAME",
                        help="allow a declarative table (patterns); repeatable")
    parser.add_argument("--allow-file", default=os.path.join(here, "function_lengths.allow"),
                        help="file of allow entries, one 'PATH NAME' a line")
    parser.add_argument("--all", action="store_true", help="list every function with its length")
    parser.add_argument("--self-test", action="store_true", help="check the scanner on embedded snippets")
    args = parser.parse_args(argv)
    if args.self_test:
        return self_test()
    allow = [parse_allow(a) for a in args.allow]
    if args.allow_file and os.path.exists(args.allow_file):
        allow += read_allow(args.allow_file)
    over = check(args.root, args.limit, allow, show_all=args.all)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
