"""Training, export and evaluation code for the SkinTriage lesion classifier.

Everything in this package may import TensorFlow; the serving code (``ml.inference``,
``ml.gate``) must not import anything from here that pulls TensorFlow in.
"""
