"""Every rule of the rule book, in the order of spec/rules.md §4. A program's rules live in its own module,
with the occupation lists (`code_lists`) and the experience features (`features`) they read."""

from transforms.rules import ai_it_vfx, food_processing, general, orderlies

PROGRAMS = [ai_it_vfx, food_processing, orderlies]
RULES = [*general.RULES, *ai_it_vfx.RULES, *food_processing.RULES, *orderlies.RULES]
# relations the details read besides `assessments` and `applications` (engine.rule_results_sql)
DETAIL_SOURCES = {**ai_it_vfx.DETAIL_SOURCES}

__all__ = ["RULES", "PROGRAMS", "DETAIL_SOURCES"]
