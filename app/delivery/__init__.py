"""How an answer sounded, measured from its audio with Praat (``praat-parselmouth``): the
pitch and intensity contours (``contours``), pitch variation, volume, rising endings and
speaking rate read from them (``voice``), filler bursts and restarts read from the timed
words (``wording``), and ``analyse``, the one function that returns them all (``analysis``)."""

from .analysis import analyse

__all__ = ["analyse"]
