"""Public path of the rule compiler; the code lives in :mod:`servestatic.serve.rules`."""

from servestatic.serve.rules import BaseHeaders, CompiledRule, Policy, RuleSet, compile_rules

__all__ = ["BaseHeaders", "CompiledRule", "Policy", "RuleSet", "compile_rules"]
