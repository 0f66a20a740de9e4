using Microsoft.Playwright;

namespace Praison.Actors.Dashboard.Tests;

/// <summary>
/// One headless Chromium for the test class: Debian's <c>/usr/bin/chromium</c> (installed by .ci/run), never a
/// browser that Playwright downloads.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    public IPlaywright Playwright { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where the screenshots go: under the test output.</summary>
    public static string ScreenshotDir { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException($"{ChromiumPath} is missing: install it with `apt-get install -y --no-install-recommends chromium` (.ci/run does).");
        Directory.CreateDirectory(ScreenshotDir);
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox"],
        });
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        Playwright.Dispose();
    }
}

/// <summary>A page that records console errors and uncaught exceptions, so every test can assert there were none.</summary>
public sealed class WatchedPage : IAsyncDisposable
{
    private readonly IBrowserContext _context;
    public IPage Page { get; }
    public List<string> Errors { get; } = [];

    private WatchedPage(IBrowserContext context, IPage page)
    {
        _context = context;
        Page = page;
        page.Console += (_, msg) => { if (msg.Type == "error") lock (Errors) Errors.Add("console: " + msg.Text); };
        page.PageError += (_, error) => { lock (Errors) Errors.Add("page error: " + error); };
    }

    public static async Task<WatchedPage> OpenAsync(BrowserFixture browser)
    {
        var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 800 } });
        context.SetDefaultTimeout(30_000);
        return new WatchedPage(context, await context.NewPageAsync());
    }

    public Task ScreenshotAsync(string name) =>
        Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserFixture.ScreenshotDir, name + ".png"), FullPage = true });

    public void AssertNoErrors(params string[] expected)
    {
        lock (Errors)
        {
            var unexpected = Errors.Where(e => !expected.Any(e.Contains)).ToList();
            Assert.True(unexpected.Count == 0, "Browser errors: " + string.Join(" | ", unexpected));
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Kept next to the screenshots, so a failure that stopped before AssertNoErrors still shows what the page said.
        lock (Errors)
            if (Errors.Count > 0) File.AppendAllLines(Path.Combine(BrowserFixture.ScreenshotDir, "browser-errors.log"), Errors);
        await _context.DisposeAsync();
    }
}
