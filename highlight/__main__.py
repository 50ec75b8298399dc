from highlight.cli import main

main()
