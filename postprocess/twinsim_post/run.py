"""A run folder as `twinsim run` writes it: case.toml, summary.json, <name>.h5, <name>.xmf."""
import json
import os
import tomllib


class NotARun(Exception):
    """The folder is not a Twinsim run folder (or its summary cannot be read)."""


class Run:
    def __init__(self, path):
        self.path = os.path.abspath(path)
        if not os.path.isdir(self.path):
            raise NotARun(f"{path}: no such folder. Give the folder a run wrote "
                          "(`twinsim run CASE.toml --out DIR`).")
        summary = os.path.join(self.path, "summary.json")
        if not os.path.isfile(summary):
            raise NotARun(f"{path}: not a run folder (no summary.json). A run folder holds "
                          "case.toml, summary.json, <name>.h5 and <name>.xmf, as written by "
                          "`twinsim run CASE.toml --out DIR`.")
        try:
            with open(summary) as f:
                self.summary = json.load(f)
        except (OSError, ValueError) as e:
            raise NotARun(f"{summary}: unreadable ({e}); the run may still be writing it.")
        # `twinsim run` records the solver; `twinsim train` / `predict` the command.
        self.solver = self.summary.get("solver") or self.summary.get("command")
        self.name = self.summary.get("name")
        if not self.solver or not self.name:
            raise NotARun(f"{summary}: has neither 'solver' nor 'command', or no 'name'; not "
                          "written by `twinsim run`, `train` or `predict`.")
        case = os.path.join(self.path, "case.toml")
        self.case = {}
        if os.path.isfile(case):
            with open(case, "rb") as f:
                self.case = tomllib.load(f)

    def file(self, name):
        return os.path.join(self.path, name)

    @property
    def h5(self):
        """The run's HDF5 file; NotARun when it is missing."""
        path = self.file(self.name + ".h5")
        if not os.path.isfile(path):
            raise NotARun(f"{self.path}: summary.json names the run '{self.name}' but "
                          f"{self.name}.h5 is missing.")
        return path

    @property
    def xmf(self):
        return self.file(self.name + ".xmf")

    def get(self, dotted, default=None):
        """A summary value by its dotted key (summary.json nests them: a.b -> {a: {b}})."""
        node = self.summary
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    def case_value(self, dotted, default=None):
        node = self.case
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node
