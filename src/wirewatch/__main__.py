from wirewatch.cli import main

raise SystemExit(main())
