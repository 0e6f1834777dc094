# nbgrader configuration for ELBO Lab's TypeScript notebooks (kernel "elbo-lab").
#
# Use it from a course folder (README.md, "For instructors: graded exercises"): copy this file
# there, or load it from the course's own nbgrader_config.py:
#     c = get_config()
#     load_subconfig("/path/to/elbo-lab/nbgrader_config.py")
# then `nbgrader generate_assignment`, `nbgrader autograde`, `nbgrader generate_feedback` as usual.
# The notebooks select the kernel "elbo-lab" (installed for the user by `npm install && npm start`)
# and import the course library as `elbo-lab`, so they run from any folder.
# test/grading/nbgrader.test.ts runs the real nbgrader with this file.
c = get_config()  # noqa: F821  (provided by nbgrader when it reads this file)

# nbgrader replaces each solution region with the stub of the notebook's kernel language
# (metadata.kernelspec.language == "typescript"); it must throw, so untouched exercises fail.
# scripts/grading/nbgrading.py reads the stub and the delimiters from this file (mark.py, the book).
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
# nbgrader's IgnorePattern preprocessor (nbgrader >= 0.9.3) placed right after Execute. It is off
# unless enabled. Older nbgrader versions lack it; then nothing changes and the rule above is what
# protects grades.
c.IgnorePattern.enabled = True
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

# The kernel compiles each cell; the first cell of a notebook also loads tfjs; notebooks train
# models inline: allow time.
c.Execute.timeout = 300
