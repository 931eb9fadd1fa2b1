import sys

from .run import main

if sys.argv[1:2] == ["prometheus"]:  # python -m bench prometheus ...: what the generated rules cost Prometheus
    from .prom import main as prometheus

    sys.exit(prometheus(sys.argv[2:]))
sys.exit(main())
