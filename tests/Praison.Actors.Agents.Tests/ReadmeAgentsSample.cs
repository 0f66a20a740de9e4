using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using Praison.Actors;

public static class AgentsSample
{
    public static async Task<AgentRunResult> RunAsync(IBackgroundRunner runner, IChatClient chatClient, AIAgent aiAgent)
    {
        // OPENAI_BASE_URL, OPENAI_API_KEY, OPENAI_MODEL_NAME, PRAISON_MODEL_PRICES
        var endpoint = AgentEndpoint.FromEnvironment();
        ActorHandle<AgentRunResult> h = await runner.SubmitAgentAsync(endpoint, "Analyze this data", new AgentTaskOptions
        {
            Name = "analysis",
            Timeout = TimeSpan.FromMinutes(5),
            Instructions = "Be brief.",
            MaxCostUsd = 0.05m, // needs a price: AgentTaskOptions.Price or PRAISON_MODEL_PRICES
        });
        AgentRunResult r = await h.WaitAsync();
        // r.Text, r.Messages, r.Usage.InputTokens / OutputTokens, r.CostUsd, r.Model, r.FinishReason, r.Duration

        await runner.SubmitAgentAsync(chatClient, "Summarise the result"); // any IChatClient
        await runner.SubmitAgentAsync(aiAgent, "Review the summary");      // a Microsoft Agent Framework AIAgent
        return r;
    }
}
