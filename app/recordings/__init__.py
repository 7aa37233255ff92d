"""Recordings, from the request to the stored file, top to bottom:

``probe`` says what arrived and ``audio`` decodes it, both under the caps every decode shares;
``keys`` names stored files; ``storage`` keeps them (a local folder or S3); ``commit`` stores a
checked recording and commits its attempt once; ``gates`` limits uploads in progress;
``upload`` takes a whole file and ``streaming`` the pieces of one sent while it is spoken;
``quota`` keeps each account within its storage; ``enqueue`` hands the answer to the worker.
``errors`` says why a recording was refused, with
the status each earns.
"""
