"""Value sets of the contract (docs/spec/contract.md)."""

PROGRAMS = ["ai_it_vfx", "food_processing", "orderlies"]
STREAMS_BY_PROGRAM = {
    "ai_it_vfx": ["ai", "it_vfx"],
    "food_processing": ["food_processing"],
    "orderlies": ["work", "study_work"],
}
STREAMS = [s for streams in STREAMS_BY_PROGRAM.values() for s in streams]
SUBSTREAMS = ["foreign_worker", "quebec_graduate"]
PROFILES = ["francophone", "francisation"]
STAY_PURPOSES = ["work", "study", "youth_exchange", "other"]
DIPLOMAS = ["secondary", "vocational", "college_general", "college_technical", "bachelor", "dess", "master",
            "doctorate"]
SCHOLARSHIP = ["none", "pending", "fulfilled"]
JOB_STATUSES = ["held", "accepted_offer", "none"]
SECTORS = ["ai", "it", "vfx", "food_processing", "health", "other"]
NOC_PATTERN = r"^(\d{4}|\d{5})$"
NOC2021_PATTERN = r"^\d{5}$"
MUNICIPALITY_PATTERN = r"^\d{5}$"  # MAMH geographic codes have 5 digits (01023 ...)
# digits of the fixed-length codes: a shorter all-digit value has lost its leading zeros (a spreadsheet's doing)
NOC_DIGITS = (4, 5)
NOC2021_DIGITS = (5, 5)
MUNICIPALITY_DIGITS = (5, 5)

# Local time of the programs: a timestamp without an offset is America/Toronto wall-clock time (contract).
LOCAL_TZ = "America/Toronto"

# The wage extract's hourly deciles, 1st to 9th.
DECILES = [f"decile_{i}_hourly" for i in range(1, 10)]

# Plausibility (contract § Bad input): a birth date before this day is a typing error, not a person.
EARLIEST_BIRTH_DATE = "1900-01-01"

# Outcomes of one rule (§3 Kleene), eligibility of an application, and statuses of a selection (§5).
RULE_OUTCOMES = ["pass", "fail", "not_applicable", "unknown"]
ELIGIBILITY = ["eligible", "ineligible", "undetermined"]
SELECTION_STATUSES = ["selected", "cap_reached", "ineligible", "undetermined", "duplicate", "outside_intake"]
# the statuses the ledger keeps for good (an undetermined application is decided again by the next run)
DECIDED_STATUSES = ["selected", "cap_reached", "ineligible", "duplicate", "outside_intake"]

# The extracts a run reads (contract), in reading order.
EXTRACTS = ["applications", "experience", "wages"]
# contract "A run that rejects too much stops": the percent of an extract's rows that may be rejected by default
MAX_REJECTED_PERCENT = 5.0
