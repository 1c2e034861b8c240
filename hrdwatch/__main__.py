from hrdwatch.cli import main

main()
