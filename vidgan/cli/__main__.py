from vidgan.cli import main

main()
