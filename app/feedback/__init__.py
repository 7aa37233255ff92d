"""Feedback on answers and who may see them: comments with the reply rule and their pins in
the transcript (``comments``), rubric ratings (``reviews``), the access rule for every page
and API call (``access``), how a share reaches the one recruiter invited (``invitations``),
and the audit log a candidate reads (``audit``)."""
