# Thin mirror of the README's commands. Usage: ./build.ps1 [build|test|run]
param([string]$Target = "test")
$ErrorActionPreference = "Stop"
switch ($Target) {
    "build" { dotnet build Praison.Actors.sln }
    "test"  { dotnet test Praison.Actors.sln }
    "run"   { dotnet run --project src/Praison.Actors.Cli -- background run hash-files -i '{"path":"."}' }
    default { throw "Unknown target '$Target'. Use build, test or run." }
}
