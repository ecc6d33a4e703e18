// Stands in for LocalStack's ddb-local-loader-0.1.jar, which it would download from GitHub. The real agent
// patches DynamoDB Local to allow more than 20 global secondary indexes; Deskflow's tables stay under that
// limit, so an agent that loads and does nothing lets LocalStack start DynamoDB Local offline.
package deskflow.localstack;

import java.lang.instrument.Instrumentation;

public final class NoopAgent {
    private NoopAgent() {}

    public static void premain(String arguments, Instrumentation instrumentation) {}
}
