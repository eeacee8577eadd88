package lib.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NamesTest {
    static Names names(Map<String, String> overrides) {
        return new Names(Config.load(Path.of("config.properties"), overrides));
    }

    @Test
    void serversClientsAndFilesAreNamedLikeTheOriginal() {
        Names n = names(Map.of("processor", "inf1", "batch_size", "2", "sequence_length", "384", "pipeline_cores", "4"));
        assertEquals("tiny-bert-qa-inf1-0", n.server(0));
        assertEquals("tiny-bert-qa-inf1-3", n.server(3));
        assertEquals("test-tiny-bert-qa-1", n.testClient(1));
        assertEquals("tiny-bert-qa_bs2_seq384_pc4_inf1.pt", n.tracedModelFile());
        assertEquals("trace-tiny-bert-qa", n.traceDir().getFileName().toString());
    }

    @Test
    void imagesCarryTheRegistryPrefix() {
        Names local = names(Map.of("registry", ""));
        assertEquals("aws-do-inference-base:v15-cpu", local.baseImage());
        assertEquals("tiny-bert-qa:v15-cpu", local.modelImage());
        assertEquals("test-tiny-bert-qa:v15-cpu", local.testImage());
        Names remote = names(Map.of("registry", "registry.example:5000/", "processor", "gpu"));
        assertEquals("registry.example:5000/tiny-bert-qa:v15-gpu", remote.modelImage());
    }

    @Test
    void hubIdsBecomeFileAndKubernetesNames() {
        Names n = names(Map.of("huggingface_model_name", "deepset/Bert_QA"));
        assertEquals("deepset-Bert_QA", n.modelName());
        assertEquals("deepset-bert-qa-cpu-0", Names.kubernetesName(n.server(0)));
        assertEquals(63, Names.kubernetesName("a".repeat(80)).length());
        assertEquals("tiny-bert-qa-v15-cpu", names(Map.of()).packDir().getFileName().toString());
    }
}
