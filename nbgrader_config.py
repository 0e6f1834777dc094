# nbgrader configuration for ELBO Lab's TypeScript notebooks (tslab kernel).
#
# Instructors with nbgrader: put the instructor notebooks in source/<assignment>/ of your course
# directory (with the repository's src/ reachable from there, e.g. a `src` link to it), then use
# `nbgrader generate_assignment` and `nbgrader autograde` as usual. Without nbgrader, the
# repository's own tools do the same job: `npm run release`, `npm run autograde -- <files>`
# (scripts/grading/README.md).
c = get_config()  # noqa: F821  (provided by nbgrader when it reads this file)

# nbgrader replaces each solution region with the stub of the notebook's kernel language
# (metadata.kernelspec.language == "typescript"); it must throw, so untouched exercises fail.
# The same text is used by scripts/grading (test/grading checks the two agree).
c.ClearSolutions.code_stub = {
    "python": "# YOUR CODE HERE\nraise NotImplementedError()",
    "typescript": (
        "// YOUR CODE HERE\n"
        'throw new Error("Not implemented yet: replace this line with your solution.");'
    ),
}
# Delimiters are matched as substrings of a line, so "// BEGIN SOLUTION" in TypeScript works.
# (nbgrader spells the option "delimeter".)
c.ClearSolutions.begin_solution_delimeter = "BEGIN SOLUTION"
c.ClearSolutions.end_solution_delimeter = "END SOLUTION"
c.ClearHiddenTests.begin_test_delimeter = "BEGIN HIDDEN TESTS"
c.ClearHiddenTests.end_test_delimeter = "END HIDDEN TESTS"

# Student copies start without outputs.
c.ClearOutput.enabled = True

# nbgrader gives 0 points to a graded cell with ANY stderr output. The notebooks keep tfjs's
# one-time banner ("Hi, looks like you are running TensorFlow.js in Node.js ...") out of graded
# cells: the first cell of each notebook that touches tfjs is an ordinary (ungraded) cell.
# As a safety net, drop stderr outputs that are only that banner or tfjs/Node warnings, with
# nbgrader's IgnorePattern preprocessor (nbgrader >= 0.9.3) placed right after Execute. Older
# nbgrader versions lack it; then nothing changes and the rule above is what protects grades.
c.IgnorePattern.pattern = (
    r"(?s)^\s*(=+\s*)?(Hi,? (there )?.*TensorFlow\.js in Node\.js|"
    r"\(node:\d+\) \w*Warning:|Platform node has already been set)"
)
try:
    from nbgrader.converters.autograde import Autograde as _Autograde
    from nbgrader.preprocessors.ignorepattern import IgnorePattern as _IgnorePattern  # noqa: F401

    _steps = list(_Autograde.autograde_preprocessors.default_value)
    _names = [getattr(s, "__name__", str(s).rsplit(".", 1)[-1]) for s in _steps]
    if "IgnorePattern" not in _names:
        _at = _names.index("Execute") + 1 if "Execute" in _names else 0
        _steps.insert(_at, _IgnorePattern)
    c.Autograde.autograde_preprocessors = _steps
except Exception:  # nbgrader absent (this file is also read by tests) or without IgnorePattern
    pass

# tslab compiles each cell; the first cell of a notebook also loads tfjs: allow time.
c.Execute.timeout = 300
