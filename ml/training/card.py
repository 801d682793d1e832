"""Static parts of the model card (shared by export and evaluate; no TensorFlow import)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

DATA = {
    "train_val_test": {
        "name": "isic8-180",
        "description": "2,143 dermoscopic images (ISIC Archive; 1,436 of them HAM10000), 8 "
        "classes, 180x180, cleaned of duplicates/label errors, split by lesion (seed 20261126)",
        "source_repository": "AmitBytesSage/Melanoma-Skin-Cancer-Detection-Model",
    },
    "phone": {
        "name": "pad-ufes-20",
        "description": "878 smartphone (clinical, non-dermoscopic) photos of 6 of the 8 classes "
        "from 641 patients of PAD-UFES-20 (Pacheco et al., Data in Brief 2020, CC BY 4.0), with "
        "each patient's clinical answers, split by patient; its train split is trained on with "
        "the dermoscopic images, its test split is the phone-photo benchmark",
    },
    "extra_training": {
        "name": "isic-extra",
        "description": "extra HAM10000 (200x150) and ISIC-2017 (224x224) training images, "
        "none from isic8-180 val/test lesions; which part a version trains on is its config's "
        "`extra` (none, isic2017, bcc_bkl or all) and the 'isic-extra used' column below",
    },
    "credits": [
        "ISIC Archive, International Skin Imaging Collaboration (https://www.isic-archive.com)",
        "HAM10000: Tschandl P., Rosendahl C., Kittler H. The HAM10000 dataset, a large "
        "collection of multi-source dermatoscopic images of common pigmented skin lesions. "
        "Sci Data 5, 180161 (2018). doi:10.7910/DVN/DBW86T",
        "ISIC 2017 challenge: Codella N. et al., ISBI 2018",
        "PAD-UFES-20: Pacheco A. G. C. et al. PAD-UFES-20: a skin lesion dataset composed of patient "
        "data and clinical images collected from smartphones. Data in Brief 32, 106221 (2020); "
        "Mendeley Data doi:10.17632/zr7vgbcyr2.1 (CC BY 4.0)",
        "MobileNetV2 ImageNet weights: TF-slim checkpoint (Apache-2.0) via JonathanCMitchell/mobilenet_v2_keras (MIT)",
    ],
}

INTENDED_USE = (
    "Clinical decision support inside SkinTriage: ranks 8 lesion types for one photo of a skin "
    "lesion (an ordinary phone photo or a dermoscopic image), optionally with the patient's "
    "answers, to help a clinician prioritise review. It is NOT a diagnosis and must not be "
    "shown to patients as one; every image still needs clinician review, and suspicious "
    "lesions need biopsy/histopathology regardless of the model output."
)

LIMITS = [
    "Phone photos: trained on 512 PAD-UFES-20 smartphone close-ups from one Brazilian clinic "
    "(many with a surgical-pen circle); photos from other phones, distances and lighting may "
    "score lower, and PAD has no dermatofibroma or vascular lesion, so those two classes are "
    "learnt from dermoscopic images only.",
    "Skin types: PAD-UFES-20 is almost all Fitzpatrick I-III (4 type V images, no type VI) and "
    "the ISIC images are mostly fair-skinned European/Australian patients: nothing here speaks "
    "for darker skin, where performance has not been measured.",
    "Answers: the fusion was fitted on PAD's clinical metadata as collected by clinicians; "
    "patients answering at home may answer differently. Sex, skin type and diameter are not used "
    "by the model (in PAD they were recorded only for biopsied lesions).",
    "8 classes only: any other condition (e.g. seborrheic keratosis as a separate class, "
    "inflammatory disease, Merkel cell carcinoma) is forced into one of these 8.",
    "Low resolution: images are squash-resized to the model input (from 180x180 sources), fine "
    "dermoscopic structures are lost.",
    "Small data: 1,488 dermoscopic and 512 phone training images; the test splits have 325 and "
    "187 images (7 melanomas and 13 SCCs among the phone photos), so metrics carry wide "
    "confidence intervals (e.g. +-0.05 on accuracy, far more on per-class phone recall).",
    "SCC label follows ISIC-2019 ground truth (HAM10000 'akiec' images), so SCC and "
    "actinic keratosis/Bowen's disease overlap.",
    "Image source is confounded with class in the benchmark: all 693 melanomas and nevi of "
    "isic8-180 (train, val and test alike) are older ISIC Archive images, and 1,436 of its "
    "other 1,450 images are HAM10000 images, from other cameras and clinics. A model can gain "
    "test accuracy by recognising the archive rather than the lesion, so photos from other "
    "dermatoscopes will likely score lower than the test numbers here.",
]

LICENCE = (
    "Model weights derive from training data under CC BY-NC-SA 4.0 (HAM10000) and per-image "
    "ISIC licences (CC-0/CC-BY/CC-BY-NC): treat the model as NON-COMMERCIAL research/teaching "
    "use only. Backbone weights: Apache-2.0."
)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_card(version_dir: Path) -> dict:
    return json.loads((version_dir / "model_card.json").read_text())


def write_card(version_dir: Path, card: dict) -> None:
    (version_dir / "model_card.json").write_text(json.dumps(card, indent=2) + "\n")
