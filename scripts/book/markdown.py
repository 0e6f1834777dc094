#!/usr/bin/env python3
"""Markdown and code to HTML for the book (scripts/book/build.js), with the renderers that
nbconvert itself uses: its mistune filter for Markdown (tables, fenced code) and Pygments for
code cells. Math never reaches this script: build.js swaps every $...$ / $$...$$ for a plain
placeholder first and typesets it with KaTeX afterwards. Cells carrying nbgrader marks are shown
as students get them (solutions replaced by the stub, hidden tests removed), via nbgrading.py.

stdin:  {"items": [{"kind": "markdown" | "code", "text": "...", "cell": {cell JSON, optional}}]}
        (with "cell", the text is the cell's student source, computed here, and "text" is ignored)
stdout: {"html": ["...", ...], "css": "<Pygments stylesheet for .highlight>"}
"""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "grading"))


def main() -> int:
    from nbconvert.filters.markdown_mistune import markdown2html_mistune
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import TypeScriptLexer
    from nbgrading import student_source

    request = json.load(sys.stdin)
    formatter = HtmlFormatter(cssclass="highlight")
    lexer = TypeScriptLexer()
    html = []
    for item in request["items"]:
        text = student_source(item["cell"]) if "cell" in item else item["text"]
        if item["kind"] == "code":
            html.append(highlight(text, lexer, formatter))
        else:
            html.append(markdown2html_mistune(text))
    json.dump({"html": html, "css": formatter.get_style_defs(".highlight")}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
