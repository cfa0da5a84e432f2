"""The VideoRAG evaluation corpus: six short lectures on distinct topics
(slides with rendered text, narrated by Piper), and questions that
paraphrase them, each with the lecture and slide that answer it and a
fact the answer must contain."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Slide:
    title: str
    lines: tuple[str, ...]
    narration: str


@dataclass(frozen=True)
class Lecture:
    key: str
    title: str
    slides: tuple[Slide, ...]


@dataclass(frozen=True)
class Question:
    text: str
    lecture: str
    slide: int
    # Lower case; the answer must contain it (or one of its "|" alternatives,
    # for what a transcript may spell otherwise).
    fact: str

    def found_in(self, answer: str) -> bool:
        text = " ".join(answer.lower().replace("-", " ").split())
        return any(" ".join(alt.replace("-", " ").split()) in text or alt in answer.lower()
                   for alt in self.fact.split("|"))


LECTURES = (
    Lecture("photosynthesis", "How plants make food", (
        Slide("Photosynthesis", ("Light becomes chemical energy", "Inputs: water, carbon dioxide"),
              "Welcome to this lecture on photosynthesis. Green plants, algae and some bacteria capture the energy "
              "of sunlight and store it as chemical energy in sugar. To do this they take in water through their "
              "roots and carbon dioxide from the air through tiny pores in their leaves called stomata. The "
              "overall reaction turns six molecules of carbon dioxide and six molecules of water into one "
              "molecule of glucose and six molecules of oxygen. Almost all the oxygen we breathe was released "
              "this way, which is why forests and the ocean's plankton matter so much for life on land."),
        Slide("The chloroplast", ("Thylakoid membranes", "Chlorophyll absorbs red and blue"),
              "The work happens inside the chloroplast, a small green organelle found in leaf cells. Inside it "
              "are stacks of flat discs called thylakoids, and their membranes hold the pigment chlorophyll. "
              "Chlorophyll absorbs mostly red and blue light and reflects green light, which is why leaves look "
              "green to us. A single leaf cell can contain from twenty to one hundred chloroplasts. Scientists "
              "think chloroplasts descend from free living bacteria that were swallowed by an ancient cell, "
              "because they still carry their own small ring of DNA."),
        Slide("Light reactions", ("Water is split", "ATP and NADPH are made"),
              "The first stage is the light dependent reactions. When light hits chlorophyll, it excites "
              "electrons that flow along a chain of proteins in the thylakoid membrane. To replace those "
              "electrons, the plant splits water molecules, and this splitting is the source of the oxygen that "
              "plants give off. The flowing electrons pump protons, and an enzyme called ATP synthase uses that "
              "flow to make ATP. The electrons finally end up on a carrier called NADPH. Both ATP and NADPH "
              "carry energy to the next stage."),
        Slide("The Calvin cycle", ("Takes place in the stroma", "Rubisco fixes carbon"),
              "The second stage is the Calvin cycle, which takes place in the stroma, the fluid around the "
              "thylakoids. Here the enzyme rubisco attaches carbon dioxide to a five carbon sugar. This step is "
              "called carbon fixation. Using the energy from ATP and NADPH, the cycle builds three carbon sugars, "
              "and some of them leave the cycle to become glucose. Rubisco is slow and sometimes grabs oxygen by "
              "mistake, so plants make enormous amounts of it. Rubisco is probably the most abundant protein on "
              "Earth."),
        Slide("Why it matters", ("Food chains start here", "C4 and CAM plants"),
              "Photosynthesis is the base of nearly every food chain. Some plants have adapted to hot and dry "
              "places. Corn and sugarcane use the C4 pathway, which concentrates carbon dioxide around rubisco "
              "and wastes less water. Cactus and pineapple use CAM, opening their stomata only at night to avoid "
              "losing water in the heat of the day. Engineers are now trying to copy these tricks to raise crop "
              "yields. In short, every meal you eat began as sunlight caught by a leaf."),
    )),
    Lecture("revolution", "The French Revolution", (
        Slide("France in 1789", ("Three estates", "A kingdom in debt"),
              "Today we look at the French Revolution. In 1789 France was ruled by King Louis the Sixteenth. "
              "Society was divided into three estates: the clergy, the nobility and everyone else. The third "
              "estate made up about ninety seven percent of the people but paid most of the taxes. The kingdom "
              "was deeply in debt, partly because it had paid for the American war of independence. A bad "
              "harvest in 1788 made bread so expensive that ordinary families spent most of their income on it."),
        Slide("The Estates General", ("Called in May 1789", "The Tennis Court Oath"),
              "To raise money the king called the Estates General in May 1789, the first such meeting since "
              "1614. Each estate had one vote, so the clergy and nobles could always outvote the commoners. The "
              "third estate declared itself the National Assembly. When they were locked out of their hall, the "
              "deputies gathered on an indoor tennis court and swore not to separate until France had a "
              "constitution. This promise is known as the Tennis Court Oath."),
        Slide("The Bastille", ("14 July 1789", "Rights of Man"),
              "On the fourteenth of July 1789 a crowd in Paris stormed the Bastille, an old fortress and prison, "
              "looking for gunpowder. It held only seven prisoners at the time, but its fall became the symbol of "
              "the revolution, and the day is still the national holiday of France. In August the assembly "
              "abolished feudal privileges and adopted the Declaration of the Rights of Man and of the Citizen, "
              "which said that men are born free and equal in rights."),
        Slide("The Terror", ("Republic declared 1792", "Robespierre"),
              "France became a republic in September 1792, and the king was executed by guillotine in January "
              "1793. Facing foreign armies and revolts at home, the Committee of Public Safety led by Maximilien "
              "Robespierre began the Reign of Terror. About seventeen thousand people were officially executed "
              "as enemies of the revolution. The Terror ended in July 1794 when Robespierre himself was arrested "
              "and sent to the guillotine."),
        Slide("Legacy", ("Napoleon takes power", "Ideas spread across Europe"),
              "After years of unstable government, a young general named Napoleon Bonaparte seized power in a "
              "coup in 1799 and later crowned himself emperor. Yet the ideas of the revolution outlived him. The "
              "metric system, a single code of civil law and the principle of equality before the law spread "
              "across Europe. The motto liberty, equality, fraternity is still written on French town halls "
              "today."),
    )),
    Lecture("tectonics", "Plate tectonics", (
        Slide("A moving surface", ("Lithosphere in plates", "Wegener 1912"),
              "This lecture is about plate tectonics. The outer shell of the Earth, the lithosphere, is broken "
              "into about fifteen large plates that float on the softer mantle below. In 1912 the German "
              "meteorologist Alfred Wegener proposed continental drift, noticing that the coasts of South America "
              "and Africa fit together like a puzzle. Most geologists rejected his idea because he could not "
              "explain what force moved the continents."),
        Slide("Evidence from the sea floor", ("Mid ocean ridges", "Magnetic stripes"),
              "The answer came from the ocean floor in the nineteen fifties and sixties. Ships mapped long "
              "underwater mountain chains called mid ocean ridges. Rocks on either side of a ridge record the "
              "Earth's magnetic field in symmetric stripes, because the field flips every few hundred thousand "
              "years. This showed that new crust forms at the ridge and spreads outward. The Atlantic Ocean "
              "widens by about two and a half centimeters every year, roughly as fast as your fingernails grow."),
        Slide("Plate boundaries", ("Divergent, convergent, transform", "Subduction zones"),
              "Plates meet at three kinds of boundaries. At divergent boundaries they pull apart, as in Iceland. "
              "At convergent boundaries they push together. When an ocean plate meets a continent, the heavier "
              "ocean plate sinks beneath it in a subduction zone, forming deep trenches such as the Mariana "
              "Trench, nearly eleven kilometers deep. At transform boundaries plates slide past each other, like "
              "the San Andreas Fault in California."),
        Slide("Earthquakes and volcanoes", ("Ring of Fire", "Magnitude scale"),
              "Most earthquakes and volcanoes happen along plate boundaries. The Pacific Ocean is circled by the "
              "Ring of Fire, which holds about three quarters of the world's active volcanoes. Earthquake size is "
              "measured on the moment magnitude scale, where each step means about thirty two times more energy. "
              "The largest earthquake ever recorded struck Chile in 1960 with a magnitude of nine point five."),
        Slide("Mountains and time", ("Himalaya still rising", "Pangaea"),
              "When two continents collide, neither sinks, and the crust crumples into mountains. India has been "
              "pushing into Asia for about fifty million years, raising the Himalaya, and Mount Everest still "
              "grows by a few millimeters a year. Around three hundred million years ago all the continents were "
              "joined in a single supercontinent called Pangaea, which later broke apart into the pieces we see "
              "on maps today."),
    )),
    Lecture("heart", "The human heart", (
        Slide("A muscular pump", ("Four chambers", "About 100,000 beats a day"),
              "In this lecture we study the human heart. It is a muscular pump about the size of a fist, sitting "
              "slightly left of the center of the chest. It has four chambers: two upper atria that receive "
              "blood and two lower ventricles that pump it out. At rest it beats sixty to one hundred times a "
              "minute, which adds up to about one hundred thousand beats every day and billions over a lifetime."),
        Slide("Two circuits", ("Pulmonary circuit", "Systemic circuit"),
              "The heart drives two circuits. The right side sends blood that is low in oxygen through the "
              "pulmonary artery to the lungs, where it picks up oxygen and releases carbon dioxide. The left side "
              "receives that fresh blood and pumps it through the aorta, the largest artery, to the whole body. "
              "Because it must push blood much farther, the wall of the left ventricle is about three times "
              "thicker than the right."),
        Slide("Valves", ("Keep blood moving one way", "Lub dub"),
              "Four valves keep blood flowing in one direction. The tricuspid and mitral valves sit between the "
              "atria and the ventricles, and the pulmonary and aortic valves guard the exits. The familiar sound "
              "of a heartbeat, lub dub, is the noise of these valves snapping shut. A doctor listening with a "
              "stethoscope can hear a murmur when a valve leaks or does not open fully."),
        Slide("The electrical system", ("Sinoatrial node", "Electrocardiogram"),
              "Each beat starts with an electrical signal from a small cluster of cells in the right atrium "
              "called the sinoatrial node, the heart's natural pacemaker. The signal spreads across the atria, "
              "pauses briefly at the atrioventricular node, and then races down to the ventricles so that they "
              "contract together. An electrocardiogram, or ECG, records this electrical activity through "
              "electrodes on the skin."),
        Slide("Keeping it healthy", ("Coronary arteries", "Exercise helps"),
              "The heart muscle gets its own blood supply from the coronary arteries. When fatty plaque narrows "
              "these arteries and a clot blocks one, part of the muscle dies, which is a heart attack. Regular "
              "exercise, not smoking and controlling blood pressure lower the risk. Heart disease remains the "
              "leading cause of death worldwide, yet most of it can be prevented. Thank you for listening, and "
              "remember that small daily habits protect this remarkable muscle for a whole lifetime."),
    )),
    Lecture("blackholes", "Black holes", (
        Slide("What is a black hole", ("Gravity traps light", "Event horizon"),
              "Welcome to a lecture on black holes. A black hole is a region of space where gravity is so strong "
              "that nothing, not even light, can escape. Its boundary is called the event horizon. The idea goes "
              "back to John Michell, an English clergyman who imagined dark stars in 1783, but the modern theory "
              "comes from Albert Einstein's general relativity, published in 1915."),
        Slide("How they form", ("Collapse of massive stars", "Supernova"),
              "Stellar black holes form when a very massive star runs out of fuel. Without the outward push of "
              "nuclear fusion, the core collapses under its own weight in a fraction of a second, while the outer "
              "layers explode as a supernova. A star needs to start with roughly twenty times the mass of the Sun "
              "to leave a black hole behind; lighter stars leave a neutron star or a white dwarf."),
        Slide("The Schwarzschild radius", ("Size grows with mass", "Sun: 3 km"),
              "Karl Schwarzschild found the first exact solution of Einstein's equations in 1916, while serving "
              "as a soldier in the First World War. It gives the radius of the event horizon, now called the "
              "Schwarzschild radius, which grows in proportion to mass. If the Sun were squeezed into a black "
              "hole, its horizon would be only about three kilometers across in radius, and the Earth's would be "
              "smaller than a marble."),
        Slide("Supermassive black holes", ("Sagittarius A star", "First image 2019"),
              "At the centers of most galaxies sit supermassive black holes with millions or billions of solar "
              "masses. Our own Milky Way hosts Sagittarius A star, about four million times the mass of the Sun. "
              "In 2019 the Event Horizon Telescope, a network of radio dishes spanning the planet, released the "
              "first image of a black hole, the giant in the galaxy M87, showing a dark shadow inside a glowing "
              "ring."),
        Slide("Waves and radiation", ("Gravitational waves 2015", "Hawking radiation"),
              "In 2015 the LIGO detectors caught gravitational waves from two black holes merging more than a "
              "billion light years away, a discovery that won the Nobel Prize in 2017. Stephen Hawking predicted "
              "that black holes slowly leak energy, now called Hawking radiation, so that a small black hole "
              "could eventually evaporate completely. No one has observed it yet."),
    )),
    Lecture("printing", "The printing press", (
        Slide("Before print", ("Manuscripts copied by hand", "Woodblocks in China"),
              "This lecture tells the story of the printing press. Before printing, books in Europe were copied "
              "by hand, mostly by monks, and a single Bible could take a scribe more than a year. In China, "
              "woodblock printing was used centuries earlier, and around 1040 an inventor named Bi Sheng made "
              "movable type out of baked clay. Books were rare, expensive and owned mainly by churches and "
              "rich families."),
        Slide("Gutenberg", ("Mainz, around 1450", "Metal type and oil ink"),
              "Around 1450 in the German city of Mainz, Johannes Gutenberg, a goldsmith, combined several ideas "
              "into one system. He cast individual letters in a metal alloy of lead, tin and antimony using a "
              "hand mould, so every letter came out the same. He mixed an oil based ink that stuck to metal, and "
              "adapted the screw press that farmers used to squeeze grapes for wine."),
        Slide("The Gutenberg Bible", ("About 180 copies", "Forty nine survive"),
              "His most famous work is the Gutenberg Bible, finished around 1455. About one hundred and eighty "
              "copies were printed, some on paper and some on animal skin called vellum. Each page had two "
              "columns of forty two lines, so it is also called the forty two line Bible. Today forty nine "
              "copies are known to survive, and a complete one is among the most valuable books in the world."),
        Slide("Print spreads", ("Venice a printing capital", "Millions of books by 1500"),
              "Printing spread with astonishing speed. By 1500 presses were working in more than two hundred and "
              "fifty European towns, and Venice had become a printing capital, where Aldus Manutius introduced "
              "small pocket books and italic type. Historians estimate that more than twenty million books were "
              "printed in Europe before the year 1500."),
        Slide("Consequences", ("Reformation", "Science and literacy"),
              "Cheap print changed society. When Martin Luther posted his ninety five theses in 1517, printed "
              "copies spread across Germany within weeks and fuelled the Protestant Reformation. Scientists "
              "could share exact diagrams and data, which helped the scientific revolution, and rising literacy "
              "slowly moved knowledge out of monasteries and into ordinary homes. Thank you for listening, and "
              "think of those early printers the next time you open a book."),
    )),
)

QUESTIONS = (
    Question("Which gas do leaves take in through little openings?", "photosynthesis", 0, "carbon dioxide"),
    Question("What are the small holes on a leaf's surface named?", "photosynthesis", 0, "stomata"),
    Question("Why do leaves appear green to our eyes?", "photosynthesis", 1, "chlorophyll"),
    Question("What evidence suggests chloroplasts were once bacteria?", "photosynthesis", 1, "dna"),
    Question("Where does the oxygen that plants release come from?", "photosynthesis", 2, "water"),
    Question("Which enzyme produces the cell's energy currency using a proton flow?", "photosynthesis", 2,
             "atp synthase|synthase"),
    Question("Which protein may be the most common one on our planet?", "photosynthesis", 3, "rubisco"),
    Question("How do cactus plants avoid losing moisture in daytime heat?", "photosynthesis", 4, "night"),
    Question("Who was the French monarch when the upheaval began?", "revolution", 0, "louis"),
    Question("Why was the French crown short of money?", "revolution", 0, "debt"),
    Question("When had the previous assembly of the three orders been held?", "revolution", 1, "1614|sixteen fourteen"),
    Question("What did the deputies promise on the indoor sports court?", "revolution", 1, "constitution"),
    Question("How many people were held in the Paris fortress when the crowd attacked it?", "revolution", 2,
             "seven|7 "),
    Question("Who headed the committee behind the wave of executions?", "revolution", 3, "robespierre"),
    Question("Which military leader took control at the end of the century?", "revolution", 4, "napoleon"),
    Question("Who first suggested that the continents drift apart?", "tectonics", 0, "wegener"),
    Question("How quickly is the Atlantic getting wider?", "tectonics", 1, "centimeters|centimetres|cm"),
    Question("What is the deepest ocean trench mentioned and how deep is it?", "tectonics", 2, "mariana"),
    Question("Which fault in California is an example of plates sliding sideways?", "tectonics", 2,
             "san andreas"),
    Question("Where did the strongest recorded quake happen?", "tectonics", 3, "chile"),
    Question("What was the name of the ancient giant landmass?", "tectonics", 4, "pangaea|pangea"),
    Question("How many times does the organ contract in a single day?", "heart", 0, "hundred thousand|100,000|100000"),
    Question("Which vessel carries oxygen rich blood out to the body?", "heart", 1, "aorta"),
    Question("What causes the typical two part sound of a heartbeat?", "heart", 2, "valves"),
    Question("What is the natural pacemaker of the heart called?", "heart", 3, "sinoatrial|sino-atrial|sino atrial"),
    Question("What happens when a clot blocks a vessel feeding the heart muscle?", "heart", 4, "heart attack"),
    Question("Who first imagined dark stars in the eighteenth century?", "blackholes", 0, "michell|mitchell"),
    Question("How heavy must a star be at birth to end as a black hole?", "blackholes", 1, "twenty times|20 times"),
    Question("Who solved Einstein's equations while serving in the war?", "blackholes", 2, "schwarzschild|schwarzchild"),
    Question("Which instrument produced the first picture of a black hole?", "blackholes", 3, "event horizon telescope"),
    Question("What did the LIGO detectors observe in 2015?", "blackholes", 4, "gravitational waves"),
    Question("What material did Bi Sheng use for his movable characters?", "printing", 0, "clay"),
    Question("What was Gutenberg's trade before printing?", "printing", 1, "goldsmith"),
    Question("Which farm tool did the press design borrow from?", "printing", 1, "wine"),
    Question("How many copies of the famous Bible still exist?", "printing", 2, "forty nine|forty-nine|49"),
    Question("Which city became a centre of book production in Italy?", "printing", 3, "venice"),
    Question("Whose theses were spread rapidly by printed copies?", "printing", 4, "luther"),
)
