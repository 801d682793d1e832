"""The eight class codes, fixed by DESIGN.md and used everywhere, in the model's output order."""

LABELS: list[str] = [
    "actinic_keratosis",
    "basal_cell_carcinoma",
    "dermatofibroma",
    "melanoma",
    "nevus",
    "pigmented_benign_keratosis",
    "squamous_cell_carcinoma",
    "vascular_lesion",
]
MALIGNANT: list[str] = ["melanoma", "basal_cell_carcinoma", "squamous_cell_carcinoma"]
