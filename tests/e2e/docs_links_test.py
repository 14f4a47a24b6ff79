"""The front door holds together: every relative link in README.md, docs/ and the
jobs' notes names a file (and a heading) that exists in the repository; every code
block marked <!-- file: PATH --> is that file, byte for byte (the README's library
example is examples/primes.cpp); and, given the binary, every option that
`rankpool <subcommand> --help` prints is named in docs/command.md.

Usage: docs_links_test.py SOURCE_DIR [RANKPOOL_BINARY]"""
import pathlib
import re
import subprocess
import sys

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
FILE_MARK = re.compile(r"<!--\s*file:\s*(\S+)\s*-->")
SUBCOMMANDS = ["factorial", "reposts", "mock-weibo", "compare", "exec", "sleep"]


def pages(root):
    found = [root / "README.md"] + sorted((root / "docs").glob("*.md")) + sorted((root / "jobs").glob("*/README.md"))
    return [page for page in found if page.is_file()]


def split_code(text):
    """(prose lines, fenced blocks): each block as (its opening line index, its text)."""
    prose, blocks, block, start = [], [], None, 0
    for index, line in enumerate(text.split("\n")):
        if line.startswith("```"):
            if block is None:
                block, start = [], index
            else:
                blocks.append((start, "\n".join(block) + "\n"))
                block = None
            prose.append("")
        elif block is not None:
            block.append(line)
            prose.append("")
        else:
            prose.append(line)
    return prose, blocks


def slug(heading):
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page):
    prose, _ = split_code(page.read_text(encoding="utf-8"))
    return {slug(line.lstrip("#")) for line in prose if line.startswith("#")}


def check_links(root, page):
    problems = []
    prose, _ = split_code(page.read_text(encoding="utf-8"))
    for number, line in enumerate(prose, 1):
        for target in LINK.findall(line):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):
                continue  # a URL with a scheme: not a file of ours
            path_part, _, anchor = target.partition("#")
            where = f"{page.relative_to(root)}:{number}: {target}"
            resolved = (page.parent / path_part).resolve() if path_part else page
            if not resolved.is_relative_to(root):
                problems.append(f"{where}: points outside the repository")
            elif not resolved.exists():
                problems.append(f"{where}: no such file")
            elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
                problems.append(f"{where}: no heading #{anchor}")
    return problems


def check_marked_blocks(root, page):
    problems, marked = [], []
    lines = page.read_text(encoding="utf-8").split("\n")
    _, blocks = split_code(page.read_text(encoding="utf-8"))
    for start, text in blocks:
        previous = lines[start - 1] if start > 0 else ""
        mark = FILE_MARK.search(previous)
        if not mark:
            continue
        marked.append(mark.group(1))
        source = root / mark.group(1)
        if not source.is_file():
            problems.append(f"{page.relative_to(root)}: block marked {mark.group(1)}: no such file")
        elif source.read_text(encoding="utf-8") != text:
            problems.append(f"{page.relative_to(root)}: the block marked {mark.group(1)} differs from the file")
    return problems, marked


def check_options(root, binary):
    documented = (root / "docs" / "command.md").read_text(encoding="utf-8")
    problems = []
    for subcommand in SUBCOMMANDS:
        shown = subprocess.run([binary, subcommand, "--help"], capture_output=True, text=True, timeout=30)
        if shown.returncode != 0:
            problems.append(f"rankpool {subcommand} --help: exit {shown.returncode}")
            continue
        for option in sorted(set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", shown.stdout)) - {"--help"}):
            if f"`{option}" not in documented and f" {option}" not in documented:
                problems.append(f"docs/command.md does not name {subcommand}'s {option}")
    return problems


def main():
    root = pathlib.Path(sys.argv[1]).resolve()
    problems, marked = [], []
    for page in pages(root):
        problems += check_links(root, page)
        page_problems, page_marked = check_marked_blocks(root, page)
        problems += page_problems
        marked += page_marked
    if "examples/primes.cpp" not in marked:
        problems.append("README.md: no code block marked <!-- file: examples/primes.cpp -->")
    readme = (root / "README.md").read_text(encoding="utf-8")
    if readme.count("<!-- library: begin -->") != 1 or readme.count("<!-- library: end -->") != 1:
        problems.append("README.md: the library page must sit between one library: begin and one library: end mark")
    if len(sys.argv) > 2:
        problems += check_options(root, sys.argv[2])
    for problem in problems:
        print("FAIL", problem)
    if problems:
        sys.exit(1)
    print(f"PASS: {len(pages(root))} pages, their links and {len(marked)} marked code blocks")


if __name__ == "__main__":
    main()
