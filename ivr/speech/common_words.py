"""The 3,000 most frequent words of pocketsphinx's stock US English model, most frequent first.

They are the background of the domain language model (see ivr.speech.lm): a
caller may use a word no bank phrase contains, and the decoder should still be
able to hear it. Extracted once from `en-us.lm.bin` (BSD licence, CMU).
"""

_WORDS = """
the to i and a of you that in it is for but know was have they on like be not it's so with are
one this he yeah just my we as what if do at or don't about i'm all think there would from two
me people can your get out no that's said up more when an had right well hundred really has
thousand will oh because how time them she been by some who their his were now then go good mean
than going her see could much other you're five got three even too only want did him something
very where here way which nine lot make say first years back any new our also over into ah i've
they're year thing still four should work things those take us most didn't why these never
twenty there's need after being can't okay little down kind point actually many day off come
same six before last he's look sure eight money doing pretty around seven always guess dollars
life long yes better probably every we're world does anything maybe school great find doesn't
though made big feel through thirty cause game old put use different stuff ten home may might
used am thought while best since man love own getting another fifty few bad give part percent
live family i'll tell ever gonna again went someone help i'd keep everything try play hard done
enough trying next end away its place far forty talk both ninety real says country kids times
least person bit such million high exactly what's isn't told nothing friends believe let call
having able show else watch ago job nice start once whole house government problem looking
change children each without days found true saying between less week she's seen already
wouldn't makes guy course care name second came sixty pay wasn't talking until making seems
eighty thanks either idea seventy read yet definitely team working city mr wanted left remember
huh fact night business months state number against called half public understand everyone
whatever er almost run friend case took sometimes today must sorry god important wrong started
heard haven't couple minutes hi set reason question system together car games women war hope
states hey stop happened thank guys coming sort small won't fun hear york under let's quite
during agree free wow buy close past food top anyone hours you've saw side news kinda myself
cool mind thinking company deal whether comes happen interesting looks gets later taking young
parents phone ask stay matter shit please we've united especially power health area american
rather move open usually goes line fifteen sense using men wait story means couldn't however
somebody fine leave become playing lost level water living full often head funny yourself
instead group college zero happy president easy ones others knew post month hit seem supposed
age needs room experience asked computer support turn outside issue eat given movie likely hand
aren't white possible face market everybody book wants weeks gone tried certain early police
rest you'll future taken countries problems cost situation woman chance sounds information child
twelve third anyway type mother girl fuck party players bring works check watching win worked
basically black hour lives eleven middle worth hello husband added internet security based cut
law son running control married soon body along paid season wife spend history fucking dog
single learn behind example difficult front america themselves clear huge wanna shows obama
order although per played price class death they've plan human jobs takes father local south
felt amount answer gave within music absolutely across schools we'll longer economy kill topic
knows hold morning pick ok unless late pounds meet video office difference major town happens
word hate companies needed known moment completely low large general mine enjoy killed national
dead building involved wish totally died you'd walk air north education issues several political
study certainly according places mom service fight community imagine hell billion crazy moved
kid heart short ready looked figure sit space cold ways lose sound students list baby gotta
changed social drive street alone worse cannot reading light research turned perhaps reality
they'll books hot current break spent amazing words sports energy lived simply boy process shot
wonder california dad add obviously similar stand higher feeling personal iraq questions listen
doctor university seeing risk strong average near decided relationship older die serious build
daughter player online summer expect available awesome inside military media fire test fast save
sex report hands private main oil financial east minimum term giving poor favorite who's
expected finally program interest choice red continue movies send industry brother interested
china common weird bought rate speak road attack itself sell door fall lol entire shouldn't due
americans ahead allowed decision opinion west brought special anymore economic terms met nobody
recently form forward de worry court starting view nearly telling position girls store attention
consider football miss perfect site bill sent himself points waiting normal force easier trust
sick damn film tax value series result worst fair act won vote action mm smoking stupid trade
except born smoke anybody eighteen wage miles step return including changes evidence somewhere
hurt members extra bank lots beautiful field share ground biggest moving asking picture total
forget race edit safe fourteen watched plus ball card society uh became record mostly quality
truth seriously super etc comment expensive create eyes paying simple global write tough travel
kept sign follow minute cat thirteen blood among fan lead meant cases data europe period
increase trouble growing above sitting international calling putting offer weather british rules
drink damage message size access parts personally technology glad seemed effect land families
paper allow hospital english sixteen key quickly population willing opportunity happening art
cancer date credit gotten sad depends reasons luck realize areas none project recent pass
account beginning weight policy sleep role further provide sir gives weren't lower board
compared particular numbers feet built focus cars piece drop round bush ended drug yep fear
washington talked final calls green center sister spending teams television eating bunch medical
costs doubt event john insurance terrible choose campaign christmas computers loved drugs dogs
clean earlier career match park straight club character honestly rights science subject wall
original crisis student afraid source eventually clearly ability considered towards grew it'll
version grow link learned catch bed training sold beat began gas bet otherwise london
unfortunately yesterday prices fit currently bigger feels election earth easily hair anywhere
services held regular explain actual walking correct respect lack eye box results majority
england visit driving touch pain church twice liked impact fans thousands groups stopped threat
tend language popular goal caught meeting option younger pressure hasn't voice exercise gun
helped lucky dude range teachers learning joke decide pull teacher events weapons chinese track
cover star department reddit aware trip writing quick surprised fighting afford literally plane
wonderful plans development speed culture la peace hopefully stage ice charge throw tonight op
following concerned potential title base brain ass beyond boys honest dark wrote raise income
helps natural search excuse screen winter blue positive particularly buying tomorrow non advice
success complete finding ideas stick foreign leaving missing response article legal reach
partner fish specific september plenty seventeen teach stories press bar raised bottom generally
growth cash los league apparently degree effort carry they'd loss nation table workers
restaurant slow comments nature passed weekend dollar budget rich created conversation politics
necessarily im train ya contact song marriage despite model san wear deep avoid crime page
worried protect century climate rule showed thinks texas double present scene patients nineteen
gold prefer cheap extremely federal self missed army healthy member challenge florida practice
floor staff fat losing environment ran led disease fix millions google hoping fly stock he'll
possibly harder afghanistan statement keeping necessary accept levels religion written fourth
removed que island animals style holiday speaking shut product sport picked female comedy
knowing pictures baseball argument notice radio freedom professional strange cards french
ridiculous here's performance hang dream dinner begin africa mention spot benefit standard
suppose welcome european britain basic nuclear dangerous central claim cats india station speech
handle smart brown push daily individual related note alive turns kinds target sales male
impossible likes airport physical content former received stuck starts modern homes finish
neither lines rock address indeed design immediately rise snow agreed he'd website busy
knowledge seconds lady successful violence forced released network noticed mentioned generation
somehow we'd fell decent canada killing mark count taxes shop leaders approach drinking web
selling smaller debate machine draw king everywhere union understanding join benefits changing
ride administration upon standing significant release truly safety thread hundreds property
assume treatment previous horrible whose obvious banks advantage appreciate suggest trial broke
lie heavy quit sunday helping failed finished doctors color quarter foot responsible planning
broken overall cook coast signed coffee sweet whenever capital image world's reported
comfortable grade cell scared closer production people's religious interview shoot classes scary
judge prime region apart defense code laugh blame gosh david skin characters powerful audience
investment plays products below camera directly required names showing apartment skills
officials decade improve hotel debt warm waste sea girlfriend prison yours minister official
strike fairly solution mistake dot jump taste ship leader holding mass basketball attacks cup
responsibility decisions closed prove bucks angeles awful programs dr effects basis affected ha
hearing michael largest direction dropped gay include employees runs sun forces chicago
businesses scale email becomes demand random forever resources nations winning keeps battle
friday france secret laws ms scientists balance spread considering flight tired limited posted
sub followed options faster wondering tells becoming bus remain decades affect wind caused
cities effective flying congress beach manager prevent sides opened negative systems excited
depending rates details israel hadn't wearing throughout slightly named george holy forgot
taught believed planet exist text fully competition customers onto conditions rent contract heat
progress greater normally mad amp illegal larger justice rid opening purpose jesus western
discussion grown clothes active meaning boss entirely mouth mess teaching parties russia
background japan murder prepared mobile eh march activities offered surprise ain't pet window
figured listening recommend bag movement treat markets troops soldiers ourselves developed
council managed theory proud saturday hm episode highly name's designed um familiar windows
jersey appear band items mission clinton terrorist upset faith types humor realized concern
january highest shape opposite material increased conference fault animal recession flu
management leading shown produce pulled useful germany besides it'd exact letter newspaper users
factor massive adding sale tv iran fantastic director restaurants fund monday turning direct
cross multiple walked terrorism alcohol block pop feelings evening angry setting appears attempt
seat studies remains korea accident wide pets survey mental constantly spring wake traffic
memory therefore careful till beer dealing rare uses activity apply suddenly brand mexico fresh
lord develop sector bringing civil map various software instance reduce cute strategy fuel tiny
excellent aid admit thoughts require regardless fifth latest boyfriend separate county
researchers officer crowd serve en sites covered values folks treated interests jokes coach gym
supply corner shopping dance sexual confidence reports whom fill southern arms ill greatest crap
ends birthday returned stayed library grand figures square channel tour lunch perspective loves
bike gain democratic rain stars bother com wild receive shoes agency originally enjoyed glass
hardly evil guns wanting driver condition birth cheaper independent connection nor actions argue
complex shooting pool context behavior lying tree dying feed acting meat weapon republicans
limit ring adult published roll goodness hole magic patient cable blow concept developing
distance solid survive discovered bomb republican tests promise humans brothers plant gift jack
boston yea saved enemy ticket democrats parent adults switch relatively staying strength pack
kick score barely edge remove odd joe curious pieces german quiet one's specifically july
testing videos mrs herself facebook perfectly famous discuss kidding camp talks june failure
section matters labour carbon houses stores fixed politicians influence location wedding shame
possibility claims pro posts profit pregnant projects philadelphia boring japanese australia
dick dating streets reaction friendly proper flat somewhat neat surgery cent primary aside
corporate citizens sucks views emergency path smell pennsylvania chicken stress experts housing
exciting shots northern hobby breaking described arrived deserve commercial victims organization
authorities species alright click christian chances agreement river reached al arm bowl cutting
device boat unique funding included jail drunk bills dry review appropriate owner captain
provided ensure situations checked toward democracy meal standards vehicle apple disagree spoke
records neighborhood copy afternoon opposed april addition tank bear bitch goals terrorists
danger sat senior planned officers equipment tuesday buildings individuals heads pm crash voters
properly holidays net degrees guilty golf universe farm tickets december professor critical
forth intelligence traditional falling dumb chief reasonable mix divorce eleventh assuming
lately relationships signs status firm pc calm core balls legs museum steps proof extreme
estimated funds theater november st paul creating experienced incredibly fail silly wine manage
suspect announced garden conflict village bullshit candidate un metal pair leaves shift photo
answers continued truck muslim focused understood unit abuse allows where's songs served
attitude explained skill august hide brings puts talent conservative sudden how's cooking
october nope letting dress james choices bridge incredible split depression album slowly wars
committed agent measure tons replace saving medicine deaths tea criminal suicide recovery border
el lawyer believes file mainly joined exchange she'll math offensive leg helpful equal facts
operation carried engine emotional suggested phones bay button diet fashion era posting chose
collection master laid opportunities lights extent francisco empty mail mid construction kitchen
tom alternative vs moon would've filled appeared shitty protection surface app respond fake thus
additional em spirit spokesman hall district sending unable sharing hero tech victim ton lotta
voted usual fired ignore gear owners ad suffering guard efforts authority coverage tip row rose
wise max bodies plants hanging giant struggle cells babies circumstances russian ban accounts
magazine picking expecting trees candidates server consumers images moral arrested films hire
reform enter leadership owned concerns mistakes mccain confused sources virginia favor innocent
hits cuts ohio horse trained zone savings ultimately unlikely seasons virus essentially stronger
se complicated weak shall entertainment vision cast grab muslims requires maintain digital item
fox causes launch ocean consequences carolina mike nervous capable milk pakistan african update
burn wednesday indian competitive dirty michigan produced bottle achieve lies february vast
desire residents sky experiences ending tape smile anti percentage everyday cheese incident
pushing loan variety surely estate cry definition seattle honey banned package customer poverty
marry rarely everybody's fucked labor elected route photos partners pizza hockey smith mode
escape rough moves reply whoever stands relevant tool dear liberal plastic annoying policies
opinions fellow mountain profile suit differently communities earn secure presence storm crew
mile belief info associated governments nah false lay vacation rush drivers soul lake sentence
destroyed confident foundation accepted checking violent connected recognize reference capacity
eastern consumer models appeal buddy facing studying personality solve invest whoa user sees
fewer typical ex chris cops papers suck linked tested tight hollywood presidential thursday hill
nowhere determine blind differences electricity confirmed fed sets task asia year's structure
continues raising illness hopes shock duty commitment determined bars purchase emissions
manhattan moments retired dunno wins whereas victory typically harm sleeping salary artist mate
via shared classic today's passing placed graduate nowadays pushed chain ooh warming investors
annual senate challenges creative pre nose olympics schedule chat cultural aspect elsewhere
revenue steam panic suffer shirt throwing accurate warning hitting intended deliver counter
voting deck stood vehicles cents notes deals acceptable encourage struggling describe scientific
claimed graduated injured atmosphere elections injury offers she'd disappointed idiot rising
sake wave loud convinced minds mixed automatically increasing compare matches insane previously
stadium advertising noise bathroom granted spanish yup destroy van domestic doors journey
decline paris keys carrying marketing honor locked laughing ages birds combat leads anyways
driven tools cant request mortgage attractive ordered parking identify communication bird yard
cap centre gaming unusual georgia complain knife investigation analysis established italian rape
badly cream crying dozen bro battery cares initial riot sugar retirement recall lovely mystery
faces divorced votes suggests charges load method pages sorts jewish yo vice roughly hobbies
equivalent function survivor cycle pace gender seats charged letters bedroom committee disaster
includes gap prepare pocket stone advance sight pointed unlike identity lock priority barack
ireland defend catholic country's paint minor prize richard lab trading amazon loans lesson id
guide frame twitter woods feature bright falls introduced regularly features chest tennis winner
auto habit unemployment silver completed refused solar constant environmental scotland lane
temperature minority someone's dreams golden promised efficient sisters plot upper advanced seek
occasionally detail sam soccer trick object nights islam clubs sixth pure powers lifetime
transfer salt atlanta monitor steve exposed athletes breaks pleasure drove thrown quote fallen
peter offering til that'd da orange cop drama topics mood display allowing stream tries
neighbors prior pants uncle combination circle beauty desk saddam bible explanation scheme blah
units factors host perform messages providing afterwards harry teeth flow absolute attacked hmm
neck print lazy chosen pulling killer lift actor logic error tips that'll theme ads hungry
o'clock electric jones positions celebrate hilarious arts links asian wealth immediate recording
largely wood colleagues rely applied friendship sensitive repeat youtube rooms forms wing
healthcare offense thin existing artists secretary brilliant exists length outcome armed
everyone's adds compete physically clock represent aim engineering stations commission chair
measures tall reduced suffered risks referring roof association rural kills threw relative knock
examples tournament hated martin bonus racist replaced ought breakfast volunteer supporting
guarantee studio laptop gross frank charity amounts pot operations hired phase taliban
cigarettes impression robert ideal drawing revolution queen oldest operating memories
uncomfortable causing tony soft swear flag steal pilot finance destruction limits participate
lawyers download orders hat ugly boom potentially ours turkey asshole sing confirm tied depend
affects fingers writer ladies scenario rescue author traveling extended cameras outdoor stable
listed tube machines iron pitch spell technically walls le launched bye invited tag royal fought
riding connect executive enemies devices relax technical comparison husband's occurred fantasy
tone recorded egg parliament client cigarette relatives hidden commit increasingly regret bob
legislation chocolate clue mayor breath ben planes payment enjoying youth agenda application
trend drawn
"""

COMMON_WORDS: tuple[str, ...] = tuple(_WORDS.split())
