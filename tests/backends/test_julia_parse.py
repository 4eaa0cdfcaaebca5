"""Every Julia file in the repository parses (tree-sitter's Julia grammar; no Julia needed).

Julia itself cannot run here, so this is the one mechanical check of julia/**: a syntax error
(unbalanced `end`, a stray bracket, a broken string) shows up as an ERROR or MISSING node,
reported as file:line:column. It does not check names, arity or types (julia/AUDIT.md does
that by reading Dojo's source). Needs the `test` extra's tree-sitter and tree-sitter-julia.
"""
import os
import pathlib

import pytest

tree_sitter = pytest.importorskip("tree_sitter", reason="tree-sitter not installed (pip install -e '.[test]')")
tree_sitter_julia = pytest.importorskip("tree_sitter_julia", reason="tree-sitter-julia not installed (pip install -e '.[test]')")

ROOT = pathlib.Path(__file__).resolve().parents[2]
SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", "outputs", "multirun"}

BROKEN = b"""
function step_minimal!(mechanism, x)
    for joint in mechanism.joints
        y = (x[1] + 2
    end
end
"""


def _parser():
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_julia.language()))


def _julia_files():
    files = []
    for directory, subdirectories, names in os.walk(ROOT):
        subdirectories[:] = [d for d in subdirectories if d not in SKIP_DIRS and not d.startswith(".")]
        files += [pathlib.Path(directory) / name for name in names if name.endswith(".jl")]
    return sorted(files)


def _inside_indexing(node) -> bool:
    while node.parent is not None:
        node = node.parent
        if node.type == "index_expression":
            return True
    return False


def syntax_errors(parser, source: bytes, name: str) -> list[str]:
    """'name:line:column: ...' (1-based) for every ERROR / MISSING node, and for a stray `end`.

    The grammar is lenient about `end`: outside an index expression it parses a surplus `end`
    as an identifier, so those are reported here too.
    """
    errors, stack = [], [parser.parse(source).root_node]
    while stack:
        node = stack.pop()
        (line, column), end_line = node.start_point, node.end_point[0] + 1
        where = f"{name}:{line + 1}:{column + 1}"
        text = source[node.start_byte:node.end_byte].decode("utf-8", "replace").splitlines()
        first = text[0].strip()[:60] if text else ""
        if node.type == "ERROR":
            errors.append(f"{where}: ERROR (through line {end_line}) {first}".rstrip())
        elif node.is_missing or (node.has_error and node.child_count == 0):
            errors.append(f"{where}: MISSING {node.type}")
        elif node.type == "identifier" and first == "end" and not _inside_indexing(node):
            errors.append(f"{where}: stray `end`")
        stack.extend(node.children)
    return sorted(errors)


@pytest.mark.timeout(60)
def test_every_julia_file_parses():
    files = _julia_files()
    names = {str(f.relative_to(ROOT)) for f in files}
    assert {"julia/src/PyDojoBridge.jl", "julia/src/central_path.jl", "julia/test/runtests.jl"} <= names
    parser = _parser()
    errors = [e for f in files for e in syntax_errors(parser, f.read_bytes(), str(f.relative_to(ROOT)))]
    assert not errors, "Julia syntax errors:\n" + "\n".join(errors)


@pytest.mark.timeout(60)
def test_a_syntax_error_is_found_and_located():
    errors = syntax_errors(_parser(), BROKEN, "broken.jl")
    assert errors, "the grammar accepted a broken snippet: the parse check would prove nothing"
    # the unclosed parenthesis of line 4 lies inside the reported span
    spans = [(int(e.split(":")[1]), int(e.split("through line ")[1].split(")")[0])) for e in errors if "ERROR" in e]
    assert any(start <= 4 <= stop for start, stop in spans), errors
    assert not syntax_errors(_parser(), BROKEN.replace(b"(x[1] + 2", b"(x[1] + 2)"), "fixed.jl")


@pytest.mark.timeout(60)
@pytest.mark.parametrize("source, line, kind", [
    (b"x = 1\nf(x) = x +\n", 2, "MISSING"),
    (b"function f()\n    return 1\nend\nend\n", 4, "stray `end`"),
    (b"y = 2 end\n", 1, "stray `end`"),
    (b"begin\n    x = 1\n", 1, "ERROR"),
    (b's = "abc\n', 1, "ERROR"),
])
def test_other_syntax_errors_are_found(source, line, kind):
    errors = syntax_errors(_parser(), source, "b.jl")
    assert any(e.startswith(f"b.jl:{line}:") and kind in e for e in errors), errors


@pytest.mark.timeout(60)
def test_end_inside_indexing_is_fine():
    source = b"y = x[end - 1] + x[1:end] + sum(x[end, :]) + (a[end])\nx[end] = 1\n"
    assert not syntax_errors(_parser(), source, "ok.jl")
