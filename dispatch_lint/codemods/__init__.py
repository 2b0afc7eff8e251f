"""LibCST codemods, one per rule rewrite: `python -m libcst.tool codemod
--no-format -x dispatch_lint.codemods.<module>.<Class> PATH`, or by name once a
project lists `dispatch_lint.codemods` under `modules:` in `.libcst.codemod.yaml`.
A rule without a rewrite has no codemod."""
