"""Heavy work as jobs: run by ``patchdesk worker`` processes through a
broker, or in-process when there is none.

* ``runs``    what a run is made of (stages of jobs) and how stages follow;
* ``plan``    cutting sources into slices, ``slices`` reading one;
* ``tasks``   what each kind of job does (the single-process store code);
* ``runner``  running one job (worker or embedded) and waiting for a run;
* ``records`` the ``jobs`` table: progress committed with the data, leases;
* ``broker``  Dramatiq on Redis; ``worker`` the worker processes.

The store is the record of work and the database its guard: unique keys
make a duplicate impossible whoever writes, and a job's progress is
committed with the rows it wrote, so delivering a job twice is harmless.
See docs/deploy.md.
"""
