"""Lifecycle policies: validation of the policy text and the evaluator (../shared/aws-ecs-behaviour.md §7.5).

Rules are evaluated together, lowest ``rulePriority`` first. An image belongs to the first rule whose selection
matches it (a lower-priority rule can never expire it); within a rule, ``imageCountMoreThan`` keeps the newest N
and ``sinceImagePushed`` expires what is older than N days, always oldest first.
"""

from __future__ import annotations

import fnmatch
import json
import time
from dataclasses import dataclass
from typing import Any

from dockyard.ecr.errors import invalid_parameter
from dockyard.ecr.state import Image, Repository
from dockyard.protocol.errors import AwsError

DAY = 86400.0


@dataclass(frozen=True)
class Rule:
    priority: int
    tag_status: str
    prefixes: tuple[str, ...]
    patterns: tuple[str, ...]
    count_type: str
    count_number: int
    action: str

    def selects(self, tags: list[str]) -> bool:
        if self.tag_status == "untagged":
            return not tags
        if self.tag_status == "any":
            return True
        if not tags:
            return False
        return all(any(t.startswith(p) for t in tags) for p in self.prefixes) and all(
            any(fnmatch.fnmatchcase(t, p) for t in tags) for p in self.patterns
        )


def _invalid(reason: str) -> AwsError:
    return invalid_parameter(
        f"Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation "
        f"failure: {reason}'"
    )


def parse(text: str) -> list[Rule]:
    try:
        doc = json.loads(text)
    except ValueError:
        raise _invalid("Could not parse the lifecycle policy JSON") from None
    raw_rules = doc.get("rules") if isinstance(doc, dict) else None
    if not isinstance(raw_rules, list) or not raw_rules:
        raise _invalid('object has missing required properties (["rules"])')
    rules = [_rule(r) for r in raw_rules]
    priorities = [r.priority for r in rules]
    if len(set(priorities)) != len(priorities):
        raise _invalid("rulePriority must be unique")
    rules.sort(key=lambda r: r.priority)
    if any(r.tag_status == "any" for r in rules[:-1]):
        raise _invalid("Rule with tagStatus 'any' must have the highest rulePriority value")
    if sum(r.tag_status == "untagged" for r in rules) > 1:
        raise _invalid("Only one rule may select untagged images")
    return rules


def _rule(raw: Any) -> Rule:
    if not isinstance(raw, dict):
        raise _invalid("rule must be an object")
    selection = raw.get("selection")
    priority = raw.get("rulePriority")
    if not isinstance(priority, int) or isinstance(priority, bool) or priority < 1 or not isinstance(selection, dict):
        raise _invalid('object has missing required properties (["rulePriority","selection"])')
    tag_status = selection.get("tagStatus")
    if tag_status not in ("tagged", "untagged", "any"):
        raise _invalid(f"tagStatus must be one of tagged, untagged, any; got {tag_status!r}")
    prefixes = tuple(selection.get("tagPrefixList") or ())
    patterns = tuple(selection.get("tagPatternList") or ())
    if tag_status == "tagged" and not (prefixes or patterns):
        raise _invalid("tagPrefixList or tagPatternList is required when tagStatus is tagged")
    if tag_status != "tagged" and (prefixes or patterns):
        raise _invalid("tagPrefixList and tagPatternList can only be used with tagStatus tagged")
    count_type = selection.get("countType")
    number = selection.get("countNumber")
    if count_type not in ("imageCountMoreThan", "sinceImagePushed"):
        raise _invalid(f"countType must be imageCountMoreThan or sinceImagePushed; got {count_type!r}")
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise _invalid("countNumber must be an integer greater than 0")
    if count_type == "sinceImagePushed" and selection.get("countUnit") != "days":
        raise _invalid("countUnit 'days' is required with countType sinceImagePushed")
    if count_type == "imageCountMoreThan" and "countUnit" in selection:
        raise _invalid("countUnit can only be used with countType sinceImagePushed")
    action = (raw.get("action") or {}).get("type")
    if action != "expire":
        raise _invalid(f"action type must be expire; got {action!r}")
    return Rule(priority, tag_status, prefixes, patterns, count_type, number, action)


def evaluate(repo: Repository, rules: list[Rule], now: float | None = None) -> list[tuple[Image, Rule]]:
    """The images the policy expires, each with the rule that expires it, oldest first."""
    now = time.time() if now is None else now
    claimed: dict[int, list[Image]] = {r.priority: [] for r in rules}
    for image in sorted(repo.images.values(), key=lambda i: i.pushed_at, reverse=True):
        rule = next((r for r in rules if r.selects(repo.tags_of(image.digest))), None)
        if rule is not None:
            claimed[rule.priority].append(image)
    expired: list[tuple[Image, Rule]] = []
    for rule in rules:
        newest_first = claimed[rule.priority]
        if rule.count_type == "imageCountMoreThan":
            doomed = newest_first[rule.count_number :]
        else:
            doomed = [i for i in newest_first if now - i.pushed_at > rule.count_number * DAY]
        expired.extend((image, rule) for image in doomed)
    return sorted(expired, key=lambda pair: pair[0].pushed_at)


def apply(repo: Repository, now: float | None = None) -> list[Image]:
    """Expires what the repository's policy selects; images an index still references stay."""
    if repo.lifecycle_policy is None:
        return []
    repo.lifecycle_evaluated_at = time.time() if now is None else now
    removed = []
    for image, _ in evaluate(repo, parse(repo.lifecycle_policy), now):
        if any(i.is_index and image.digest in i.references for i in repo.images.values()):
            continue
        for tag in repo.tags_of(image.digest):
            del repo.image_tags[tag]
        del repo.images[image.digest]
        removed.append(image)
    return removed
