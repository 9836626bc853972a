"""Value sets of the contract (spec/contract.md)."""

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
DIPLOMAS = ["secondary", "vocational", "college_general", "college_technical", "bachelor", "dess", "master", "doctorate"]
SCHOLARSHIP = ["none", "pending", "fulfilled"]
JOB_STATUSES = ["held", "accepted_offer", "none"]
SECTORS = ["ai", "it", "vfx", "food_processing", "health", "other"]
NOC_PATTERN = r"^(\d{4}|\d{5})$"
NOC2021_PATTERN = r"^\d{5}$"
